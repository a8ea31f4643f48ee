/** Re-exports for the kernel tests. */
import { LOCAL_PORT_MIN, LOCAL_PORT_MAX } from '../../assembly/shared/codec.js';
export { Codec } from '../../src/codec/index.js';
/** Linux net.ipv4.ip_local_port_range default, the VXLAN source-port range when none is set. */
export const LOCAL_PORT_MIN_MAX: [number, number] = [LOCAL_PORT_MIN, LOCAL_PORT_MAX];

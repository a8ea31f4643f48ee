// Ethernet/IPv4/UDP/VXLAN/IPIP codec (issue #3). Exports are added here.

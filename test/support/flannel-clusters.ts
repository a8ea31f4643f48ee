/**
 * Flannel clusters built from cluster-file text, for one test file: one
 * core created before its tests, and every cluster built with `cluster`
 * disposed after them. Call at the top level of the test file.
 */
import { afterAll, beforeAll } from 'vitest';
import { createCore, type Core } from '../../src/core/core.js';
import { buildCluster, parseCluster, type ClusterRun } from '../../src/cluster/index.js';
import { flannelDesign } from '../../src/flannel/index.js';

export interface FlannelClusters {
  /** The test file's core (set once its tests start). */
  readonly core: Core;
  /** Builds and converges `text` (named `t.yaml` in errors) as Flannel; disposed after the file. */
  cluster(text: string): ClusterRun;
}

export function flannelClusters(): FlannelClusters {
  const runs: ClusterRun[] = [];
  const h = {
    core: undefined as unknown as Core,
    cluster(text: string): ClusterRun {
      const r = buildCluster(h.core, parseCluster(text, 't.yaml'), flannelDesign);
      runs.push(r);
      return r;
    },
  };
  beforeAll(async () => {
    h.core = await createCore();
  });
  afterAll(() => runs.forEach((r) => r.dispose()));
  return h;
}

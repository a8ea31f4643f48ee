// Raw memory for the host. The JS wrappers copy batches (addresses, frames,
// packet descriptors) into blocks obtained here, then pass pointers to the hot
// calls. These blocks are unmanaged (TLSF heap): the minimal runtime never
// collects on its own, and no hot path allocates managed objects.

/** Allocates `size` bytes, 16-byte aligned. Never returns 0 for size > 0. */
export function alloc(size: usize): usize {
  return heap.alloc(size);
}

/** Frees a block returned by `alloc`. */
export function free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** Zeroes `len` bytes at `ptr` (bulk memory). */
export function zero(ptr: usize, len: usize): void {
  memory.fill(ptr, 0, len);
}

// Longest-prefix-match route tables: numbers in, numbers out.
// A table is a header pointer; IPv4 keys pass w0 only (w1..w3 = 0). The
// wrapper (src/lpm/route-table.ts) validates everything before calling.
import { LPM_HEADER_BYTES, LPM_H_DIRTY, LPM_H_COUNT, LPM_BUDGET_BASE, LPM_BUDGET_PER_PREFIX } from "../shared/lpm";
import { hget } from "./header";
import { storeCreate, storeFree, storePut, storeGet, storeDelete, storeBytes } from "./store";
import { freeLookup, lookupBytes } from "./build";
import { refresh } from "./update";
import { lookup4, lookup4Batch } from "./lookup";
import { lookup6s, lookup6sBatch, lookup4sBatch } from "./sorted6-lookup";

/** Creates an empty table for family 4 or 6; returns its handle. */
export function lpm_create(family: i32): usize {
  return storeCreate(family == 6 ? 4 : 1);
}

/** Frees a table and everything it owns. */
export function lpm_destroy(t: usize): void {
  freeLookup(t);
  storeFree(t);
  heap.free(t);
}

/** Inserts or replaces a prefix; returns the previous next hop or -1. */
export function lpm_insert(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32, nh: i32): i32 {
  return storePut(t, w0, w1, w2, w3, len, nh);
}

/** Removes a prefix; returns its next hop or -1 when absent. */
export function lpm_remove(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): i32 {
  return storeDelete(t, w0, w1, w2, w3, len);
}

/** Exact match; the next hop or -1. */
export function lpm_get(t: usize, w0: u32, w1: u32, w2: u32, w3: u32, len: u32): i32 {
  return storeGet(t, w0, w1, w2, w3, len);
}

/** Brings the lookup structure up to date after changes (dirty ranges, or a full rebuild). */
export function lpm_build(t: usize): void {
  refresh(t);
}

/** Number of prefixes. */
export function lpm_size(t: usize): i32 {
  return <i32>hget(t, LPM_H_COUNT);
}

/** Bytes of WASM memory the table owns (header, store, lookup structure). */
export function lpm_memory(t: usize): i32 {
  return <i32>(LPM_HEADER_BYTES + storeBytes(t) + lookupBytes(t));
}

/** IPv4 longest-prefix match (call lpm_build first after changes). */
export function lpm_lookup4(t: usize, a: u32): i32 {
  return lookup4(t, a);
}

/** A batch of IPv4 lookups in one call. */
export function lpm_lookup4_batch(t: usize, addrs: usize, out: usize, n: i32): void {
  lookup4Batch(t, addrs, out, n);
}

/** IPv6 longest-prefix match of the address w0:w1:w2:w3 (network-order words). */
export function lpm_lookup6(t: usize, w0: u32, w1: u32, w2: u32, w3: u32): i32 {
  return lookup6s(t, ((<u64>w0) << 32) | <u64>w1, ((<u64>w2) << 32) | <u64>w3);
}

/** A batch of IPv6 lookups (16 bytes per address) in one call. */
export function lpm_lookup6_batch(t: usize, addrs: usize, out: usize, n: i32): void {
  lookup6sBatch(t, addrs, out, n);
}

/** A batch of IPv4 lookups (u32 per address) on an IPv4 table kept in the sorted store. */
export function lpm_lookup4s_batch(t: usize, addrs: usize, out: usize, n: i32): void {
  lookup4sBatch(t, addrs, out, n);
}

/** 1 when the table uses more than LPM_BUDGET_BASE + LPM_BUDGET_PER_PREFIX bytes per prefix (the memory bound), else 0. */
export function lpm_over_budget(t: usize): i32 {
  return <u64><u32>lpm_memory(t) > <u64>LPM_BUDGET_BASE + <u64>LPM_BUDGET_PER_PREFIX * <u64>hget(t, LPM_H_COUNT) ? 1 : 0;
}

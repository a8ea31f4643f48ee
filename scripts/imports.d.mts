// Types of scripts/imports.mjs, for the TypeScript that imports it (test/imports.test.ts).

/** One import of a scanned file: the specifier as written and the file it names. */
export interface ImportEdge { spec: string; to: string }
/** The import graph: files (posix, relative to the root) and each one's imports of other files. */
export interface ImportGraph { files: string[]; edges: Map<string, ImportEdge[]> }
/** Files under `from` may import only their own top folder, `folders` and `barrels`. */
export interface BarrelRule { from: string[]; folders: string[]; barrels: string[] }
/** A strongly connected set of files and one shortest cycle through it ([a, b, a]). */
export interface FileCycle { members: string[]; cycle: string[] }
/** Same for folders; `via` names one file import behind each step of the cycle. */
export interface FolderCycle extends FileCycle { via: string[] }
export interface BarrelViolation { file: string; spec: string; to: string; allowed: string }
export interface ImportReport {
  files: number;
  fileCycles: FileCycle[];
  folderCycles: FolderCycle[];
  barrelViolations: BarrelViolation[];
}
export interface CheckOptions {
  /** Top folders to scan; default {@link SCANNED}. */
  dirs?: string[];
  /** Folders or files left out; default {@link EXCLUDED}. */
  excluded?: string[];
  /** Default {@link BARREL_RULES}. */
  rules?: BarrelRule[];
}

export const SCANNED: string[];
export const EXCLUDED: string[];
export const BARREL_RULES: BarrelRule[];
export function listFiles(root: string, dirs?: string[], excluded?: string[]): string[];
export function importsOf(fileName: string, text: string): string[];
export function resolveImport(from: string, spec: string, files: Set<string>): string | undefined;
export function buildGraph(root: string, opts?: CheckOptions): ImportGraph;
export function folderOf(file: string): string;
export function fileCycles(graph: ImportGraph): FileCycle[];
export function folderCycles(graph: ImportGraph): FolderCycle[];
export function barrelViolations(graph: ImportGraph, rules?: BarrelRule[]): BarrelViolation[];
export function checkImports(root: string, opts?: CheckOptions): ImportReport;
export function formatReport(report: ImportReport): string;

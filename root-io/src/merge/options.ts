/** What the merger reports while it works. */
export interface MergeProgress {
  phase: 'open' | 'tree' | 'histogram' | 'object' | 'finish';
  /** Object path inside the file (dir/name) when relevant. */
  object?: string;
  /** Index of the input being processed. */
  input?: number;
  inputs: number;
  bytesWritten: number;
}

/** Options of merge(); defaults follow ROOT's hadd. */
export interface MergeOptions {
  /** Output compression: a ROOT setting (algorithm*100+level), 'keep' (-fk) or 'first' (-ff). Default 101. */
  compression?: number | 'keep' | 'first';
  /** Overwrite an existing output (-f). Default false. */
  force?: boolean;
  /** Skip inputs that cannot be opened or read (-k). Default false. */
  skipErrors?: boolean;
  /** Do not merge trees (-T). */
  skipTrees?: boolean;
  /** Maximum number of inputs open at once (-n); 0 = no limit. */
  maxOpenFiles?: number;
  /** Called after each unit of work. */
  onProgress?: (p: MergeProgress) => void;
  /** Called with warnings (skipped inputs, …). */
  onWarning?: (message: string) => void;
}

/** What merge() did. */
export interface MergeResult {
  output: string;
  inputs: number;
  skipped: { path: string; reason: string }[];
  trees: { path: string; entries: number; fastBaskets: number; recompressedBaskets: number }[];
  histograms: string[];
  copied: string[];
  bytes: number;
}

/** What the merger reports while it works. */
export interface MergeProgress {
  /** 'pipe': the finished file is being copied into a stream output (bytesWritten = bytes copied). */
  phase: 'open' | 'tree' | 'histogram' | 'object' | 'finish' | 'pipe';
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
  /**
   * Threads for compression (-j N): embedded baskets of the inputs read ahead, and baskets being
   * recompressed, are compressed on N worker threads. Default 1 (compression on the main thread).
   */
  jobs?: number;
  /** Called after each unit of work. */
  onProgress?: (p: MergeProgress) => void;
  /** For a stream output: directory of the temporary file (default: the OS temp dir). */
  tmpDir?: string;
  /** For a stream output: the file name recorded inside the file. */
  streamName?: string;
  /** Header switches to the 64-bit layout past this offset (ROOT's kStartBigFile, 2000000000). */
  bigFileThreshold?: number;
  /** Testing aid: leave a sparse hole of this many bytes before the first record (see FileWriterOptions). */
  leadingGap?: number;
  /** Called with warnings (skipped inputs, …). */
  onWarning?: (message: string) => void;
}

/** What merge() did. */
export interface MergeResult {
  output: string;
  inputs: number;
  skipped: { path: string; reason: string }[];
  /** Input trees left out because their branch list differs from the first input's (ROOT warns and skips). */
  skippedTrees: { path: string; input: string; branch: string; reason: string }[];
  trees: { path: string; entries: number; fastBaskets: number; recompressedBaskets: number }[];
  histograms: string[];
  copied: string[];
  bytes: number;
}

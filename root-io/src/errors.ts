/** Base class of every error raised by root-io. */
export class RootIoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The input is not a ROOT file or its bytes contradict the format. */
export class CorruptFileError extends RootIoError {}

/** The file uses a feature root-io does not implement. */
export class UnsupportedError extends RootIoError {}

/** Two trees cannot be merged because their branch structure differs. */
export class BranchMismatchError extends RootIoError {
  constructor(
    message: string,
    readonly branch: string,
  ) {
    super(message);
  }
}

/** Two histograms cannot be added because their axes differ. */
export class HistogramAxesError extends RootIoError {
  constructor(
    message: string,
    readonly object: string,
  ) {
    super(message);
  }
}

/** An input of a merge could not be opened or read. */
export class InputError extends RootIoError {
  constructor(
    message: string,
    readonly path: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The merge cannot proceed (output exists, no usable input, objects of different classes…). */
export class MergeError extends RootIoError {}

/** A file could not be written as asked (bad branch spec, inconsistent entries, writer closed…). */
export class WriteError extends RootIoError {}

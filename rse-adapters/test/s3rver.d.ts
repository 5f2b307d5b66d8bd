// s3rver 3.7 ships no type declarations; the tests only construct it, run() and close() it.
declare module 's3rver' {
  const S3rver: new (options: object) => { run(): Promise<unknown>; close(): Promise<void> };
  export default S3rver;
}

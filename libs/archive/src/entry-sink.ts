/** Where the tar and zip readers hand each entry: a tree written to disk, or a listing that only checks. */
export interface EntrySink {
  directory(name: string): Promise<void>;
  file(name: string, mode: number, declaredBytes: number, content: AsyncIterable<Buffer>): Promise<void>;
  symlink(name: string, target: string): Promise<void>;
  hardlink(name: string, target: string): Promise<void>;
  /** After the last entry: refuses a symbolic link that ends outside the tree through other links. */
  verifyLinks(): Promise<void>;
  readonly stats: { entries: number; bytes: number };
}

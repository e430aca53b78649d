export interface CallGroupsOptions<Input, Output> {
  /**
   * Runs one group of calls and answers each, in order: its output, or an Error for a call that failed on its own.
   * A throw fails every call of the group.
   */
  readonly run: (inputs: readonly Input[]) => Promise<readonly (Output | Error)[]>;
  /** The most calls one group takes. */
  readonly maxGroupSize: number;
  /** Calls with the same key never share a group; a later one waits for the next group. */
  readonly keyOf?: (input: Input) => string;
  /**
   * Looked at when a waiting call is about to join a group: an Error answers it at once, without running it (what
   * the groups before it settled may already decide it).
   */
  readonly refuseEarly?: (input: Input) => Error | undefined;
  /** Called when no call is left waiting or running: what was kept for `refuseEarly` can go. */
  readonly onIdle?: () => void;
}

interface Waiting<Input, Output> {
  readonly input: Input;
  readonly resolve: (output: Output) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs calls in groups, one group at a time: the calls made in the same turn of the event loop go together, and
 * calls made while a group runs wait and go together in the next. On a machine where every round trip to the
 * database costs a system call and a statement of its own, eight commands handled at once then cost two
 * statements instead of sixteen; a call alone still goes at once (the next turn), without a timer.
 */
export class CallGroups<Input, Output> {
  private readonly waiting: Waiting<Input, Output>[] = [];
  private running = false;

  constructor(private readonly options: CallGroupsOptions<Input, Output>) {
    if (!Number.isInteger(options.maxGroupSize) || options.maxGroupSize < 1) {
      throw new Error(`maxGroupSize must be a positive integer, got ${options.maxGroupSize}`);
    }
  }

  call(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.runGroups());
      }
    });
  }

  private async runGroups(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.takeGroup();
      if (group.length === 0) continue;
      try {
        const outputs = await this.options.run(group.map((call) => call.input));
        if (outputs.length !== group.length)
          throw new Error(`a group of ${group.length} calls got ${outputs.length} answers`);
        group.forEach((call, index) => {
          const output = outputs[index];
          if (output instanceof Error) call.reject(output);
          else call.resolve(output);
        });
      } catch (error) {
        for (const call of group) call.reject(error);
      }
    }
    this.running = false;
    this.options.onIdle?.();
  }

  private takeGroup(): Waiting<Input, Output>[] {
    const { keyOf, maxGroupSize, refuseEarly } = this.options;
    const group: Waiting<Input, Output>[] = [];
    const keys = new Set<string>();
    for (let index = 0; index < this.waiting.length && group.length < maxGroupSize;) {
      const call = this.waiting[index];
      const refusal = refuseEarly?.(call.input);
      if (refusal) {
        this.waiting.splice(index, 1);
        call.reject(refusal);
        continue;
      }
      const key = keyOf?.(call.input);
      if (key !== undefined && keys.has(key)) {
        index++;
        continue;
      }
      if (key !== undefined) keys.add(key);
      group.push(...this.waiting.splice(index, 1));
    }
    return group;
  }
}

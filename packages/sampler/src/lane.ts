/** A FIFO that can also give up its newest entry, with amortised O(1) operations and no per-entry allocation. */
export class Lane<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest entry. */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Puts back the entry `shift()` just returned. */
  unshiftBack(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** The oldest entry that passes `keep`, dropping older ones that do not. */
  peek(keep: (item: T) => boolean): T | undefined {
    for (;;) {
      const item = this.shift();
      if (item === undefined) return undefined;
      if (keep(item)) {
        this.unshiftBack(item);
        return item;
      }
    }
  }

  /** The newest entry. */
  pop(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    return this.items.pop();
  }

  /** Removes and returns every entry, oldest first. */
  drain(): T[] {
    const items = this.items.slice(this.head) as T[];
    this.items = [];
    this.head = 0;
    return items;
  }
}

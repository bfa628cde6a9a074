/**
 * A FIFO of work admitted a bounded slice per event-loop turn. Whatever is queued runs in order, from
 * `setImmediate` callbacks that stop starting jobs once TURN_BUDGET_MS have passed; timers (the
 * ZooKeeper client's pings, its liveness checks) and I/O (its answers, new connections) get their turn
 * in between. A job's synchronous part counts against the budget; what it does after an `await` runs
 * right after the slice, so a turn lasts about the budget plus the tails of the jobs it started.
 */

/** How long one turn may keep starting jobs (ms). */
export const TURN_BUDGET_MS = 15;

type Job = () => unknown;

/** A first-in first-out list that takes from its head without shifting the array. */
class Fifo {
  private items: Job[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(job: Job): void {
    this.items.push(job);
  }

  take(): Job {
    const job = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Job;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      // Compact now and then so that a long burst does not keep every finished slot.
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return job;
  }
}

export class AdmissionQueue {
  /** Second steps of admitted work (`pushFirst`), run before anything newly admitted. */
  private readonly next = new Fifo();
  private readonly jobs = new Fifo();
  private scheduled = false;

  constructor(private readonly budgetMs: number) {}

  get pending(): number {
    return this.next.size + this.jobs.size;
  }

  push(job: Job): void {
    this.jobs.push(job);
    this.schedule();
  }

  /** Queues `job` ahead of the newly admitted ones (work that has already waited its turn once). */
  pushFirst(job: Job): void {
    this.next.push(job);
    this.schedule();
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    const started = performance.now();
    do {
      const job = this.next.size > 0 ? this.next.take() : this.jobs.take();
      try {
        // Jobs report their own errors; an async one's rejection is theirs to handle too.
        void job();
      } catch {
        // A job that throws synchronously has answered its caller already (see agent-api.ts).
      }
    } while (this.pending > 0 && performance.now() - started < this.budgetMs);
    if (this.pending === 0) this.scheduled = false;
    else setImmediate(() => this.drain());
  }
}

const queue = new AdmissionQueue(TURN_BUDGET_MS);

/** Runs `job` after the calls admitted before it, within a turn's budget. */
export function admit(job: Job): void {
  queue.push(job);
}

/** Runs `job` before the calls waiting, within a turn's budget (the second step of an admitted call). */
export function admitNext(job: Job): void {
  queue.pushFirst(job);
}

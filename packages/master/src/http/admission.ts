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

export class AdmissionQueue {
  private jobs: Job[] = [];
  private head = 0;
  private scheduled = false;

  constructor(private readonly budgetMs: number) {}

  get pending(): number {
    return this.jobs.length - this.head;
  }

  push(job: Job): void {
    this.jobs.push(job);
    this.schedule();
  }

  /** Queues `job` ahead of every waiting one (work that has already waited its turn once). */
  pushFirst(job: Job): void {
    if (this.head > 0) this.jobs[--this.head] = job;
    else this.jobs.unshift(job);
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
      const job = this.jobs[this.head]!;
      this.jobs[this.head++] = undefined as unknown as Job;
      try {
        // Jobs report their own errors; an async one's rejection is theirs to handle too.
        void job();
      } catch {
        // A job that throws synchronously has answered its caller already (see agent-api.ts).
      }
    } while (this.head < this.jobs.length && performance.now() - started < this.budgetMs);
    if (this.head === this.jobs.length) {
      this.jobs = [];
      this.head = 0;
      this.scheduled = false;
    } else {
      // Compact now and then so that a long burst does not keep every finished slot.
      if (this.head > 4096) {
        this.jobs = this.jobs.slice(this.head);
        this.head = 0;
      }
      setImmediate(() => this.drain());
    }
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

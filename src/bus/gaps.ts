// Counting lost messages from per-publisher sequence numbers: a jump from 41 to 45 means three
// messages were dropped on the way (a full high-water mark, a hub that lost them, a publisher
// that refused them). The first message seen from a publisher counts nothing: what it sent
// before we subscribed was never ours to lose.

export class GapCounter {
  private readonly last = new Map<string, number>();

  /** @param maxPublishers bound on remembered publishers (garbage ids must not grow memory). */
  constructor(private readonly maxPublishers = 1024) {}

  /** The number of messages missed just before (publisher, seq). */
  observe(publisher: string, seq: number): number {
    const prev = this.last.get(publisher);
    if (prev === undefined && this.last.size >= this.maxPublishers) {
      // Forget the publisher heard from least recently (Map keeps insertion order; see re-insert below).
      this.last.delete(this.last.keys().next().value!);
    }
    this.last.delete(publisher);
    this.last.set(publisher, seq);
    if (prev === undefined || seq <= prev) return 0;
    return seq - prev - 1;
  }
}

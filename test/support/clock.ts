/** A clock the test moves by hand: no waiting, no flaky timing. */
export class TestClock {
  constructor(public t: number) {}
  now = (): number => this.t;
  set(iso: string | Date): void {
    this.t = new Date(iso).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

import type { ChildProcess } from "node:child_process";

/** Kills the process it is armed with, once, with SIGKILL: a crash trial's moment of death. */
export class KillSwitch {
  #victim: ChildProcess | undefined;
  #killed = false;

  /** The process the next `kill()` ends. */
  arm(child: ChildProcess): void {
    this.#victim = child;
  }

  readonly kill = (): void => {
    if (!this.#killed && this.#victim) {
      this.#killed = true;
      this.#victim.kill("SIGKILL");
    }
  };

  /** Whether it fired. */
  get killed(): boolean {
    return this.#killed;
  }
}

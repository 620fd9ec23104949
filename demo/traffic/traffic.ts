/** What both traffic generators share: a loop of journeys through the shop that can be stopped. */

export interface Traffic {
  readonly mode: 'browser' | 'http';
  /** One line for the start-up message. */
  readonly description: string;
  /** User actions performed so far. */
  readonly actions: number;
  /** Ends the loop after the current action and releases what it holds (browser, temp files). */
  stop(): Promise<void>;
}

/** The customers journeys rotate through (the shop's seeded customers). */
export const CUSTOMER_IDS = ['1', '2', '3'] as const;

/**
 * Runs `journey(n)` for n = 0, 1, … until stopped. A failing journey is logged and retried after
 * a pause: the demo keeps going while a service restarts.
 */
export function loop(
  journey: (n: number, shouldStop: () => boolean) => Promise<void>,
  log: (line: string) => void,
): { stop(): Promise<void> } {
  let stopping = false;
  let wake: () => void = () => {};
  const running = (async () => {
    for (let n = 0; !stopping; n++) {
      try {
        await journey(n, () => stopping);
      } catch (error) {
        if (stopping) break;
        log(`[traffic] journey failed, retrying: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 2000);
        });
      }
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      wake();
      await running;
    },
  };
}

/** Waits `millis` unless `shouldStop` turns true first (checked every 100 ms). */
export async function pauseUnlessStopped(millis: number, shouldStop: () => boolean): Promise<void> {
  const until = Date.now() + millis;
  while (!shouldStop() && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
  }
}

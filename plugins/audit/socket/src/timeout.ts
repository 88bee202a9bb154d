/**
 * Settles `work` or rejects after `milliseconds`, whichever comes first.
 * On timeout, `onTimeout` runs once and returns the rejection error; it is
 * the place to abort the work, which may otherwise settle later unseen.
 */
export function withTimeout<T>(work: Promise<T>, milliseconds: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), milliseconds);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

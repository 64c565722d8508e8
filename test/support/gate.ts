/**
 * Holds the next call of `object[method]` until `open()`: `before` it runs, or `after` it has run (its answer
 * given once opened); `reached` settles when the call is there. For a test that puts something in between two
 * steps of a request, deterministically.
 */
export function gate<T extends object>(object: T, method: keyof T & string, when: 'before' | 'after') {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  const original = (object[method] as (...args: unknown[]) => Promise<unknown>).bind(object);
  jest.spyOn(object, method as never).mockImplementationOnce((async (...args: unknown[]) => {
    if (when === 'before') {
      reach();
      await opened;
    }
    const result = await original(...args);
    if (when === 'after') {
      reach();
      await opened;
    }
    return result;
  }) as never);
  return { reached, open };
}

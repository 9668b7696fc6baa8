/**
 * Watches every call a DepClient makes for one server, so the registry can keep per-server state
 * that only Apple's answers reveal (terms not signed, the last error) without each route having
 * to report it. A Proxy rather than a subclass: routes keep the DepClient type and every method,
 * present and future, is covered.
 */
import type { DepClient } from '../dep/index.js'

export interface CallObserver {
  success (): void
  failure (err: unknown): void
}

function observe<T> (promise: Promise<T>, observer: CallObserver, isSuccess: (value: T) => boolean): Promise<T> {
  return promise.then((value) => {
    if (isSuccess(value)) observer.success()
    return value
  }, (err: unknown) => {
    observer.failure(err)
    throw err
  })
}

function observeIterator<T> (iterable: AsyncIterable<T>, observer: CallObserver): AsyncIterableIterator<T> {
  const it = iterable[Symbol.asyncIterator]()
  const wrapped: AsyncIterableIterator<T> = {
    next: async (...args: [] | [unknown]) => await observe(it.next(...args), observer, () => true),
    // Only generators reach here (drainFetch/drainSync), and generators always have return().
    return: async (value?: unknown) => await (it as AsyncGenerator<T>).return(value),
    [Symbol.asyncIterator] () { return wrapped }
  }
  return wrapped
}

export function trackClient (client: DepClient, observer: CallObserver): DepClient {
  // One wrapper per method, made on first use: every DEP request reads a method through this Proxy.
  const wrappers = new Map<PropertyKey, { of: unknown, wrapper: unknown }>()
  return new Proxy(client, {
    get (target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function' || prop === 'close') return value
      const cached = wrappers.get(prop)
      // A method replaced on the client (tests do) gets a new wrapper.
      if (cached?.of === value) return cached.wrapper
      // The pass-through resolves with Apple's refusals too: only a 2xx/3xx answer clears the flags.
      const ok = prop === 'request' ? (r: unknown) => (r as { status: number }).status < 400 : () => true
      const wrapper = (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args)
        if (result instanceof Promise) return observe(result, observer, ok)
        if (result !== null && typeof result === 'object' && Symbol.asyncIterator in result) return observeIterator(result as AsyncIterable<unknown>, observer)
        return result
      }
      wrappers.set(prop, { of: value, wrapper })
      return wrapper
    }
  })
}

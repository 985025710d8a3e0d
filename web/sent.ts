/** A server type as JSON delivers it to a page: every Date in it arrives as an ISO string. */
export type Sent<T> = T extends Date ? string : T extends readonly (infer U)[] ? Sent<U>[] : T extends object ? { [K in keyof T]: Sent<T[K]> } : T;

// Image references, as engines read them.

/** Split an image reference into what the engine's pull wants: a registry port is not a tag. */
export function splitReference(ref: string): { repository: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repository: ref };
}

/** The reference with Docker's implicit `:latest`, as the engine stores it. */
export function withDefaultTag(ref: string): string {
  const r = splitReference(ref);
  return r.tag || r.digest ? ref : `${ref}:latest`;
}

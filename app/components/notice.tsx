import type { ReactNode } from 'react';

/** A page-level message that says what happened and what to do about it. */
export function Notice({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="notice" role="alert">
      <h1>{title}</h1>
      {children}
    </section>
  );
}

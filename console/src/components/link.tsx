/**
 * An in-app link: a real `<a href>` (open in a new tab works) that navigates without a reload.
 *
 * @module
 */
import type { ComponentChildren } from 'preact';
import { BASE, navigate } from '../router';

/** A link to `to` (a path below `/console`). */
export function Link({ to, children, class: cls, current }: { to: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={BASE + to}
      class={cls}
      aria-current={current ? 'page' : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}

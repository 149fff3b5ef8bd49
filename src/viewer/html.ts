/**
 * A tiny HTML builder for the viewer's server-rendered pages: `html` is a tagged template that
 * escapes every interpolated value unless it is already {@link SafeHtml} (made by `html` itself or
 * by `trusted` for output of the markdown renderer, which escapes on its own). Arrays are joined.
 * So a caller's text can only reach a page escaped (CONVENTIONS 12).
 */

/** HTML that is known to be safe to put in a page as it is. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for an element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A value `html` accepts: text (escaped), numbers, safe HTML, nothing, or lists of these. */
export type HtmlValue = string | number | SafeHtml | null | undefined | false | HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** The tagged template: `html\`<p>${text}</p>\`` escapes `text`. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks HTML made by a renderer that escapes everything it was given (the markdown renderer). */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

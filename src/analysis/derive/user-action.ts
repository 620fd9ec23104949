import type { SpanSemantics } from '../../model/semantics.js';

/**
 * The OpenTelemetry web user-interaction instrumentation writes `target_xpath` as `//*[@id="x"]`
 * for an element with an id; anything else is a positional path such as `//html/body/div/button[2]`.
 */
const ID_XPATH = /^\/\/\*\[@id="([^"]*)"\]$/;

/**
 * The name of a browser user action (DESIGN.md §2 "Browser application"): the span name, refined
 * with the interaction target when the span carries one.
 *
 * Format, with `action` = `event_type` ?? the span name, `element` = `target_element` and the
 * xpath = `target_xpath` (empty values count as absent):
 * - no element and no xpath: `action` (so an `event_type` alone replaces the span name);
 * - element, xpath `//*[@id="checkout"]`: `click on BUTTON#checkout`;
 * - element, other xpath: `click on BUTTON at //html/body/div/button[2]`;
 * - element only: `click on BUTTON`;
 * - id xpath only: `click on #checkout`;
 * - other xpath only: `click on //html/body/div/button[2]`.
 */
export function userActionName(spanName: string, semantics: SpanSemantics | undefined): string {
  const action = nonEmpty(semantics?.eventType) ?? spanName;
  const element = nonEmpty(semantics?.targetElement);
  const xpath = nonEmpty(semantics?.targetXpath);
  if (xpath === undefined) return element === undefined ? action : `${action} on ${element}`;
  const id = ID_XPATH.exec(xpath)?.[1];
  if (id !== undefined && id !== '') return `${action} on ${element ?? ''}#${id}`;
  return element === undefined ? `${action} on ${xpath}` : `${action} on ${element} at ${xpath}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

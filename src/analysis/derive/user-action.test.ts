import { describe, expect, it } from 'vitest';
import { userActionName } from './user-action.js';

describe('userActionName', () => {
  it('refines the span name with the interaction target', () => {
    expect(userActionName('click', { eventType: 'click', targetElement: 'BUTTON', targetXpath: '//*[@id="checkout"]' })).toBe(
      'click on BUTTON#checkout',
    );
  });

  it('keeps the span name when the span carries no interaction attributes', () => {
    expect(userActionName('documentLoad', undefined)).toBe('documentLoad');
    expect(userActionName('documentLoad', { url: 'https://shop.example/' })).toBe('documentLoad');
  });

  it('writes a non-id xpath out in full, and an id xpath with quotes inside as the full xpath', () => {
    expect(userActionName('click', { eventType: 'click', targetXpath: '//*[@id="a"]/div/span' })).toBe('click on //*[@id="a"]/div/span');
    expect(userActionName('click', { eventType: 'click', targetElement: 'A', targetXpath: '//*[@id=""]' })).toBe('click on A at //*[@id=""]');
  });
});

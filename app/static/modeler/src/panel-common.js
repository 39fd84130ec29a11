// What the panel's entries share.

// The choices of a select, with the element's current value added when no choice is it.
export function withCurrent(options, current, label) {
  if (current && !options.some((o) => o.value === current)) {
    options.push({ value: current, label: `${current}${label}` });
  }
  return options;
}

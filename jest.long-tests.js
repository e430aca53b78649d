/* global jest */
// Integration and end-to-end tests talk to real services on a small machine shared by parallel test files:
// they get time, and assert outcomes, never durations.
jest.setTimeout(120_000);

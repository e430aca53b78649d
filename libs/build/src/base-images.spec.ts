import { DEFAULT_NODE_BASE_IMAGE, DEFAULT_PYTHON_BASE_IMAGE, nodeBaseImage, pythonBaseImage } from './base-images';

describe('node base image', () => {
  it('is the locally built image unless PLATFORM_NODE_BASE_IMAGE says otherwise', () => {
    expect(nodeBaseImage({})).toBe(DEFAULT_NODE_BASE_IMAGE);
    expect(nodeBaseImage({ PLATFORM_NODE_BASE_IMAGE: ' ' })).toBe(DEFAULT_NODE_BASE_IMAGE);
    expect(nodeBaseImage({ PLATFORM_NODE_BASE_IMAGE: 'registry.example.com/node:20' })).toBe(
      'registry.example.com/node:20',
    );
  });
});

describe('python base image', () => {
  it('is the locally built image unless PLATFORM_PYTHON_BASE_IMAGE says otherwise', () => {
    expect(pythonBaseImage({})).toBe(DEFAULT_PYTHON_BASE_IMAGE);
    expect(pythonBaseImage({ PLATFORM_PYTHON_BASE_IMAGE: 'registry.example.com/python:3.12' })).toBe(
      'registry.example.com/python:3.12',
    );
  });
});

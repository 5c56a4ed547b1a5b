import { PerspectiveCamera, Vector3 } from 'three';
import { describe, expect, it } from 'vitest';
import { type Bounds, type CameraPose, frameBounds, lengthOf, orbited, type Vec3, zoomed } from './framing';

const corners = ({ min, max }: Bounds): Vec3[] =>
  [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => [
    bits & 1 ? max[0] : min[0],
    bits & 2 ? max[1] : min[1],
    bits & 4 ? max[2] : min[2],
  ]);

/** Where each corner lands on screen (normalised device coordinates) through three.js's own camera. */
function projected(bounds: Bounds, fov: number, aspect: number): Vector3[] {
  const framing = frameBounds(bounds, fov, aspect);
  const camera = new PerspectiveCamera(fov, aspect, framing.near, framing.far);
  camera.position.set(...framing.position);
  camera.lookAt(...framing.target);
  camera.updateMatrixWorld();
  return corners(bounds).map((corner) => new Vector3(...corner).project(camera));
}

const distance = (pose: CameraPose) =>
  lengthOf([pose.position[0] - pose.target[0], pose.position[1] - pose.target[1], pose.position[2] - pose.target[2]]);

describe('framing a scene', () => {
  const scene: Bounds = { min: [-5, -0.2, -5], max: [5, 3.2, 5] };

  it('shows every corner of the bounding box, in a wide card, a square and a tall pane', () => {
    for (const aspect of [16 / 10, 1, 0.5]) {
      for (const point of projected(scene, 45, aspect)) {
        expect(Math.abs(point.x)).toBeLessThan(1);
        expect(Math.abs(point.y)).toBeLessThan(1);
        expect(point.z).toBeGreaterThan(-1);
        expect(point.z).toBeLessThan(1);
      }
    }
  });

  it('fills the view rather than leaving a flat scene small, and centres it in the picture', () => {
    for (const aspect of [16 / 10, 1, 0.5]) {
      const points = projected(scene, 45, aspect);
      const xs = points.map((point) => point.x);
      const ys = points.map((point) => point.y);
      const spread = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
      // The margin leaves 1/1.15 of each half: the box spans that much on its limiting axis.
      expect(spread).toBeCloseTo(2 / 1.15, 2);
      // Centred on screen along both axes.
      expect(Math.abs(Math.max(...xs) + Math.min(...xs))).toBeLessThan(0.01);
      expect(Math.abs(Math.max(...ys) + Math.min(...ys))).toBeLessThan(0.01);
    }
  });

  it('looks at the middle of the box from the front, right and above, and lets the zoom reach in and out', () => {
    const framing = frameBounds(scene, 45, 1.6);
    // The box's centre is (0, 1.5, 0); half its radius (7.3) around it is still well inside it.
    expect(lengthOf([framing.target[0], framing.target[1] - 1.5, framing.target[2]])).toBeLessThan(3.6);
    const [x, y, z] = framing.position;
    expect(x).toBeGreaterThan(0);
    expect(y).toBeGreaterThan(framing.target[1]);
    expect(z).toBeGreaterThan(0);
    expect(framing.minDistance).toBeLessThan(distance(framing) / 10);
    expect(framing.maxDistance).toBeGreaterThan(distance(framing) * 5);
    expect(framing.near).toBeLessThan(framing.minDistance);
    expect(framing.far).toBeGreaterThan(framing.maxDistance);
  });

  it('gives a scene of a single point a view of some size', () => {
    const framing = frameBounds({ min: [2, 2, 2], max: [2, 2, 2] }, 45, 1);
    for (const axis of framing.target) expect(axis).toBeCloseTo(2);
    expect(distance(framing)).toBeGreaterThan(0);
    expect(Number.isFinite(framing.far)).toBe(true);
  });
});

describe('turning and zooming with the keyboard', () => {
  const pose: CameraPose = { position: [0, 0, 10], target: [0, 0, 0] };

  it('turns around the target at the same distance', () => {
    const turned = orbited(pose, Math.PI / 2, 0);
    expect(turned[0]).toBeCloseTo(10);
    expect(turned[2]).toBeCloseTo(0);
    expect(lengthOf(turned)).toBeCloseTo(10);
    const raised = orbited(pose, 0, -Math.PI / 4);
    expect(raised[1]).toBeCloseTo(10 * Math.SQRT1_2);
    expect(lengthOf(raised)).toBeCloseTo(10);
  });

  it('turns around a target that is not the origin', () => {
    const turned = orbited({ position: [1, 2, 13], target: [1, 2, 3] }, Math.PI, 0);
    expect(turned[0]).toBeCloseTo(1);
    expect(turned[1]).toBeCloseTo(2);
    expect(turned[2]).toBeCloseTo(-7);
  });

  it('stops short of the poles, where up would flip', () => {
    const top = orbited(pose, 0, -Math.PI);
    expect(top[1]).toBeLessThan(10);
    expect(top[1]).toBeGreaterThan(9.99);
    expect(Math.hypot(top[0], top[2])).toBeGreaterThan(0);
  });

  it('zooms within the limits', () => {
    expect(zoomed(pose, 0.5, 1, 100)).toEqual([0, 0, 5]);
    expect(zoomed(pose, 0.01, 1, 100)).toEqual([0, 0, 1]);
    expect(zoomed(pose, 50, 1, 100)).toEqual([0, 0, 100]);
  });
});

/*
 * Where the camera goes: framing a scene's bounding box, and the orbit and zoom steps the keyboard
 * makes. Plain numbers, so the maths is tested without three.js or a GPU.
 */

export type Vec3 = readonly [number, number, number];

export interface Bounds {
  readonly min: Vec3;
  readonly max: Vec3;
}

/** A camera's place: where it is and what it looks at (up is always +Y, as glTF's). */
export interface CameraPose {
  readonly position: Vec3;
  readonly target: Vec3;
}

export interface Framing extends CameraPose {
  readonly near: number;
  readonly far: number;
  /** How close and how far the person may zoom. */
  readonly minDistance: number;
  readonly maxDistance: number;
}

/** From the front (glTF's +Z), to the right and a little above: the usual three-quarter view. */
export const DEFAULT_VIEW_DIRECTION: Vec3 = [0.55, 0.45, 1];
/** Room around the scene, so it never touches the edges. */
const MARGIN = 1.15;
const ZOOM_IN_LIMIT = 0.02;
const ZOOM_OUT_LIMIT = 12;
/** The camera never reaches the poles, where "up" would flip. */
const POLAR_LIMIT = 0.01;

const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const subtract = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale = (a: Vec3, factor: number): Vec3 => [a[0] * factor, a[1] * factor, a[2] * factor];
export const lengthOf = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

function normalised(a: Vec3): Vec3 {
  const length = lengthOf(a);
  return length === 0 ? [0, 0, 1] : scale(a, 1 / length);
}

const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];

function corners({ min, max }: Bounds): Vec3[] {
  return [0, 1, 2, 3, 4, 5, 6, 7].map((bits) => [
    bits & 1 ? max[0] : min[0],
    bits & 2 ? max[1] : min[1],
    bits & 4 ? max[2] : min[2],
  ]);
}

/**
 * The camera that shows the whole of `bounds` with a margin, looking along `direction`: as close as
 * it can be with every corner of the box inside both fields of view (a tall pane is limited by its
 * width, a wide card by its height), and moved sideways so the box sits in the middle of the picture
 * rather than its centre in the middle of the screen. Fitting the corners rather than the box's
 * bounding sphere keeps a flat scene — a floor with things on it — from sitting small in the view.
 *
 * With the camera at sideways offsets (a, b) and distance D, a corner at (x, y, z) in the camera's
 * axes (z towards the camera) is in view when |x − a| ≤ (D − z)·tw and |y − b| ≤ (D − z)·th. For
 * every pair of corners i, j some `a` fits both exactly when D ≥ (xᵢ − xⱼ)/(2·tw) + (zᵢ + zⱼ)/2, and
 * likewise for b: the least D is the largest of those bounds; then a and b centre the picture.
 */
export function frameBounds(
  bounds: Bounds,
  verticalFovDegrees: number,
  aspect: number,
  direction: Vec3 = DEFAULT_VIEW_DIRECTION,
): Framing {
  const centre = scale(add(bounds.min, bounds.max), 0.5);
  // A point or a flat line still gets a view of some size.
  const radius = Math.max(lengthOf(subtract(bounds.max, bounds.min)) / 2, 1e-3);
  const back = normalised(direction);
  const sideways = cross([0, 1, 0], back);
  // Looking straight down or up, "right" is taken along +X.
  const right = lengthOf(sideways) < 1e-6 ? ([1, 0, 0] as Vec3) : normalised(sideways);
  const up = cross(back, right);
  const th = Math.tan((verticalFovDegrees * Math.PI) / 360) / MARGIN;
  const tw = th * Math.max(aspect, 1e-3);
  const points = corners(bounds).map((corner) => {
    const offset = subtract(corner, centre);
    return { x: dot(offset, right), y: dot(offset, up), z: dot(offset, back) };
  });
  // Never closer than just in front of the nearest corner.
  let distance = Math.max(...points.map((point) => point.z)) + radius * 0.05;
  for (const i of points) {
    for (const j of points) {
      distance = Math.max(distance, (i.x - j.x) / (2 * tw) + (i.z + j.z) / 2, (i.y - j.y) / (2 * th) + (i.z + j.z) / 2);
    }
  }
  // Along the limiting axis one offset fits; along the other, the one that centres the projected box.
  const middle = (along: 'x' | 'y', tangent: number) => {
    let low = Math.max(...points.map((point) => point[along] - (distance - point.z) * tangent));
    let high = Math.min(...points.map((point) => point[along] + (distance - point.z) * tangent));
    const imbalance = (offset: number) => {
      const onScreen = points.map((point) => (point[along] - offset) / (distance - point.z));
      return Math.max(...onScreen) + Math.min(...onScreen);
    };
    // The imbalance falls as the offset grows: halve the interval until it is centred.
    for (let step = 0; step < 40 && high - low > 1e-9 * radius; step += 1) {
      const mid = (low + high) / 2;
      if (imbalance(mid) > 0) low = mid;
      else high = mid;
    }
    return (low + high) / 2;
  };
  const target = add(centre, add(scale(right, middle('x', tw)), scale(up, middle('y', th))));
  const position = add(target, scale(back, distance));
  const maxDistance = distance * ZOOM_OUT_LIMIT;
  return {
    target,
    position,
    near: radius * ZOOM_IN_LIMIT * 0.5,
    far: maxDistance + radius * 2,
    minDistance: radius * ZOOM_IN_LIMIT,
    maxDistance,
  };
}

/**
 * The camera turned around its target by `azimuth` (about +Y) and `polar` (towards or away from the
 * top) radians, at the same distance; the polar angle stays clear of the poles.
 */
export function orbited(pose: CameraPose, azimuth: number, polar: number): Vec3 {
  const offset = subtract(pose.position, pose.target);
  const radius = lengthOf(offset);
  if (radius === 0) return pose.position;
  const theta = Math.atan2(offset[0], offset[2]) + azimuth;
  const phi = Math.min(
    Math.PI - POLAR_LIMIT,
    Math.max(POLAR_LIMIT, Math.acos(Math.min(1, Math.max(-1, offset[1] / radius))) + polar),
  );
  const turned: Vec3 = [
    radius * Math.sin(phi) * Math.sin(theta),
    radius * Math.cos(phi),
    radius * Math.sin(phi) * Math.cos(theta),
  ];
  return add(pose.target, turned);
}

/** The camera moved towards (factor < 1) or away from (factor > 1) its target, within the zoom limits. */
export function zoomed(pose: CameraPose, factor: number, minDistance: number, maxDistance: number): Vec3 {
  const offset = subtract(pose.position, pose.target);
  const distance = lengthOf(offset);
  if (distance === 0) return pose.position;
  const next = Math.min(maxDistance, Math.max(minDistance, distance * factor));
  return add(pose.target, scale(offset, next / distance));
}

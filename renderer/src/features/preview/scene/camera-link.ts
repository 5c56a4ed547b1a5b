import type { CameraPose } from './framing';

/**
 * Cameras that move together: each viewer joins with a way to be shown a pose, and says when its
 * person moved its camera; every other viewer is then shown the same pose. A viewer that joins late
 * starts from the last pose anyone chose, so two snapshots open side by side already aligned.
 */
export class CameraLink {
  private readonly members = new Map<symbol, (pose: CameraPose) => void>();
  private last: CameraPose | undefined;

  /** The last pose a member chose, if any. */
  get pose(): CameraPose | undefined {
    return this.last;
  }

  /** Joins the link; the answer leaves it. */
  join(show: (pose: CameraPose) => void): { readonly moved: (pose: CameraPose) => void; readonly leave: () => void } {
    const member = Symbol('camera');
    this.members.set(member, show);
    return {
      moved: (pose) => {
        this.last = pose;
        for (const [other, showOther] of this.members) if (other !== member) showOther(pose);
      },
      leave: () => {
        this.members.delete(member);
      },
    };
  }
}

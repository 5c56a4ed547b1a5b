/** A `mxc://serverName/mediaId` URI, split. Both parts are checked as the Matrix spec restricts them. */
export interface MxcUri {
  readonly serverName: string;
  readonly mediaId: string;
}

/** Server names: a host (DNS name, IPv4, or [IPv6]) with an optional port; media IDs: [A-Za-z0-9_-]+. */
const MXC = /^mxc:\/\/((?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?)\/([A-Za-z0-9_-]+)$/;

export function parseMxcUri(uri: string): MxcUri {
  const match = MXC.exec(uri);
  if (!match) throw new TypeError(`"${uri}" is not a valid mxc:// URI`);
  return { serverName: match[1]!, mediaId: match[2]! };
}

export function formatMxcUri({ serverName, mediaId }: MxcUri): string {
  return `mxc://${serverName}/${mediaId}`;
}

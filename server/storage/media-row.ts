import type { MediaRecord, MediaState } from './media-store.js';

/** Media IDs as the spec allows them ([A-Za-z0-9_-]): they name files and object keys, so nothing else may pass. */
export const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** A `media` row as both stores keep it (SQLite and PostgreSQL use the same column names). */
export interface MediaRow {
  server_name: string;
  media_id: string;
  owner: string;
  created_at: number;
  expires_at: number;
  state: MediaState;
  declared_length: number | null;
  upload_offset: number;
  content_type: string | null;
  file_name: string | null;
  /** PostgreSQL only (several instances): when a part was last recorded. */
  last_write_at?: number | null;
}

export function toRecord(row: MediaRow): MediaRecord {
  return {
    serverName: row.server_name,
    mediaId: row.media_id,
    owner: row.owner,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    state: row.state,
    declaredLength: row.declared_length,
    uploadOffset: row.upload_offset,
    contentType: row.content_type,
    fileName: row.file_name,
    ...(row.last_write_at !== undefined && { lastWriteAt: row.last_write_at }),
  };
}

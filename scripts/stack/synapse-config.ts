import { LOOPBACK } from './ports.js';

/** The Synapse release the stack installs; 1.163.x ships an abi3 wheel that installs on Python ≥ 3.10. */
export const SYNAPSE_VERSION = '1.163.2';

/**
 * The server name of the local homeserver. `localhost` is what Synapse's own docs use for a
 * single-machine test server: it is never resolvable from elsewhere, federation is impossible by
 * construction, and user IDs stay short (`@alice:localhost`).
 */
export const SERVER_NAME = 'localhost';

/**
 * Pending (created, not yet uploaded) media IDs allowed per user. MSC2246 asks for a finite limit; 10 is
 * far above what one test's user needs (each test registers its own users), yet small enough that the
 * conformance suite can reach it with a dedicated user in a few requests.
 */
export const MAX_PENDING_MEDIA_UPLOADS = 10;

/** Synapse's upload cap; ≥ 2 GiB so the huge-file tests are limited by the code under test, not by config. */
export const MAX_UPLOAD_SIZE = '4G';

export interface SynapseConfigInput {
  readonly port: number;
  /** The address clients use (nginx); Synapse advertises it as `public_baseurl`. */
  readonly publicBaseUrl: string;
  readonly registrationSharedSecret: string;
  readonly macaroonSecretKey: string;
  readonly formSecret: string;
  readonly paths: {
    readonly database: string;
    readonly mediaStore: string;
    readonly signingKey: string;
  };
}

/** Far above anything a test does, but finite: Synapse's limiter needs numbers. */
const RELAXED = { per_second: 1000, burst_count: 10000 } as const;

/**
 * homeserver.yaml as an object; it is written as JSON, which YAML reads unchanged. Every choice that
 * departs from Synapse's defaults is here for a reason: loopback only, no outbound traffic (no key
 * servers, no stats, no URL previews), shared-secret registration for tests, and rate limits relaxed
 * so that tests are limited by behaviour, not by throttling.
 */
export function synapseConfig(input: SynapseConfigInput): Record<string, unknown> {
  return {
    server_name: SERVER_NAME,
    public_baseurl: `${input.publicBaseUrl}/`,
    report_stats: false,
    listeners: [
      {
        port: input.port,
        bind_addresses: [LOOPBACK],
        type: 'http',
        tls: false,
        // nginx sits in front and sets X-Forwarded-For / -Proto.
        x_forwarded: true,
        resources: [{ names: ['client'], compress: false }],
      },
    ],
    database: { name: 'sqlite3', args: { database: input.paths.database } },
    signing_key_path: input.paths.signingKey,
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    registration_shared_secret: input.registrationSharedSecret,
    macaroon_secret_key: input.macaroonSecretKey,
    form_secret: input.formSecret,
    enable_registration: false,
    // Tests register many users; bcrypt's default cost (12) makes each registration take ~0.3 s.
    bcrypt_rounds: 4,

    media_store_path: input.paths.mediaStore,
    enable_authenticated_media: true,
    max_upload_size: MAX_UPLOAD_SIZE,
    max_pending_media_uploads: MAX_PENDING_MEDIA_UPLOADS,
    // MSC2246's recommended default, stated so it is visible: unused media IDs expire after a day.
    unused_expiration_time: '24h',
    url_preview_enabled: false,
    presence: { enabled: false },

    rc_message: RELAXED,
    rc_registration: RELAXED,
    rc_registration_token_validity: RELAXED,
    rc_login: { address: RELAXED, account: RELAXED, failed_attempts: RELAXED },
    rc_joins: { local: RELAXED, remote: RELAXED },
    rc_joins_per_room: RELAXED,
    rc_invites: { per_room: RELAXED, per_user: RELAXED, per_issuer: RELAXED },
    rc_third_party_invite: RELAXED,
    rc_3pid_validation: RELAXED,
    rc_media_create: RELAXED,
    rc_room_creation: RELAXED,
    rc_presence: { per_user: RELAXED },
    rc_delayed_event_mgmt: RELAXED,
    rc_reports: RELAXED,
    rc_user_directory: RELAXED,
    rc_profile: RELAXED,
    rc_admin_redaction: RELAXED,
    rc_key_requests: RELAXED,
  };
}

/*
 * The nginx configuration of the local stack, and the part of it an admin copies to deploy Slipstream's
 * media server beside an existing homeserver (docs/deploy.md shows `mediaLocations` verbatim;
 * tests/deploy-doc.test.ts keeps the two identical).
 */

/** The path prefixes Slipstream's media server owns; everything else goes to the homeserver. */
export const MEDIA_PATH_PREFIXES = ['/_matrix/media/', '/_matrix/client/v1/media/'] as const;

/** Upstream names used in the generated config and in the deployment guide. */
export const UPSTREAMS = { homeserver: 'matrix_homeserver', media: 'slipstream_media' } as const;

const PROXY_HEADERS = [
  // Synapse (x_forwarded: true) and the media server see the client's address and the public host.
  'proxy_set_header Host $host;',
  'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
  'proxy_set_header X-Forwarded-Proto $scheme;',
  'proxy_set_header X-Forwarded-Host $host;',
  // HTTP/1.1 with an empty Connection header lets nginx keep upstream connections alive.
  'proxy_http_version 1.1;',
  'proxy_set_header Connection "";',
];

/**
 * The directives of a media location. Streaming is the point: an upload must reach the media server as
 * it arrives (readers see it live), and a download must reach the reader as the upload grows, so nginx
 * neither buffers request bodies nor responses, accepts bodies of any size (the media server enforces
 * its own limit), and waits long: a reader may legitimately wait minutes for the next bytes of a slow
 * upload. Unbuffered, nginx moves bytes through one buffer per direction, so those buffers are sized
 * for bulk transfers rather than left at one memory page.
 */
export function mediaProxyDirectives(upstream: string = UPSTREAMS.media): string[] {
  return [
    `proxy_pass http://${upstream};`,
    ...PROXY_HEADERS,
    'proxy_request_buffering off;',
    'proxy_buffering off;',
    // Unbuffered, the request body passes through this buffer on its way upstream, and the response
    // through proxy_buffer_size: the defaults (16k, one page) cost a system call pair every few KiB.
    'client_body_buffer_size 256k;',
    'proxy_buffer_size 256k;',
    // Unused while proxy_buffering is off, but nginx requires them to exceed the busy-buffer size that
    // the buffer size above implies.
    'proxy_buffers 4 256k;',
    'client_max_body_size 0;',
    'client_body_timeout 1h;',
    'proxy_connect_timeout 10s;',
    'proxy_send_timeout 1h;',
    'proxy_read_timeout 1h;',
    'send_timeout 1h;',
  ];
}

/** The media locations, one per path prefix the media server owns. */
export function mediaLocations(upstream: string = UPSTREAMS.media): string {
  return MEDIA_PATH_PREFIXES.map((prefix) =>
    [`location ${prefix} {`, ...mediaProxyDirectives(upstream).map((line) => `    ${line}`), '}'].join('\n'),
  ).join('\n\n');
}

/** Everything that is not media: the homeserver, with the body limit Synapse's own docs suggest. */
export function homeserverLocation(upstream: string = UPSTREAMS.homeserver): string {
  return [
    'location / {',
    `    proxy_pass http://${upstream};`,
    ...PROXY_HEADERS.map((line) => `    ${line}`),
    '    client_max_body_size 50M;',
    '}',
  ].join('\n');
}

export interface NginxConfigInput {
  /** Absolute directory holding pid, logs and temp directories. */
  readonly prefix: string;
  /** The address clients use: media to the media backend, the rest to Synapse. */
  readonly port: number;
  /** A second address where Synapse serves everything itself, media included (its own MSC2246 tests). */
  readonly synapseOnlyPort: number;
  readonly synapsePort: number;
  /** Where the media paths of `port` go: the media server, or Synapse until there is one. */
  readonly mediaBackendPort: number;
  /** When nginx is started as root, its workers run as this user instead of `nobody`. */
  readonly workerUser?: string;
}

const indent = (text: string, spaces: number): string =>
  text
    .split('\n')
    .map((line) => (line ? `${' '.repeat(spaces)}${line}` : line))
    .join('\n');

/**
 * The top of one of the stack's nginx.conf files, up to and including the `http {` settings: one
 * worker, every file under `prefix`, workers as `workerUser` when started as root.
 */
export function nginxPreamble(prefix: string, workerUser: string | undefined, header: string): string {
  const p = prefix;
  return `${header}
${workerUser ? `user ${workerUser};\n` : ''}worker_processes 1;
daemon on;
pid ${p}/nginx.pid;
error_log ${p}/error.log warn;

events {
    worker_connections 1024;
}

http {
    access_log ${p}/access.log;
    client_body_temp_path ${p}/temp/client_body;
    proxy_temp_path ${p}/temp/proxy;
    fastcgi_temp_path ${p}/temp/fastcgi;
    uwsgi_temp_path ${p}/temp/uwsgi;
    scgi_temp_path ${p}/temp/scgi;
    default_type application/octet-stream;
    server_tokens off;`;
}

/** The whole nginx.conf of the local stack: loopback only, every file under `prefix`. */
export function stackNginxConfig(input: NginxConfigInput): string {
  const header = '# Generated by scripts/stack/nginx-config.ts; rewritten on every `npm run stack -- up`.';
  return `${nginxPreamble(input.prefix, input.workerUser, header)}

    upstream ${UPSTREAMS.homeserver} {
        server 127.0.0.1:${input.synapsePort};
        keepalive 16;
    }

    upstream ${UPSTREAMS.media} {
        server 127.0.0.1:${input.mediaBackendPort};
        keepalive 16;
    }

    # What clients use: the deployment an admin would run.
    server {
        listen 127.0.0.1:${input.port};
        server_name localhost;

${indent(mediaLocations(), 8)}

${indent(homeserverLocation(), 8)}
    }

    # Synapse alone, its own media repository included: the baseline the MSC2246 suite runs against.
    server {
        listen 127.0.0.1:${input.synapseOnlyPort};
        server_name localhost;

${indent(mediaLocations(UPSTREAMS.homeserver), 8)}

${indent(homeserverLocation(), 8)}
    }
}
`;
}

export const NGINX_TEMP_DIRS = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'] as const;

package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The clients' webhooks, which are hostile input (SSRF): only http and https URLs, whose host
 * resolves to public addresses only (no loopback, link-local, private, unique-local, CGNAT,
 * multicast or unspecified address) unless {@code skein.a2a.push.allow-private-addresses}; the
 * address checked is the one connected to (resolved again at each delivery, so a name that later
 * points inside is refused then), redirects are not followed, and each call is bounded in time.
 * A failed delivery is retried with exponential backoff, a bounded number of times.
 */
final class A2aWebhooks {

    private static final Logger log = LoggerFactory.getLogger(A2aWebhooks.class);
    static final String TOKEN_HEADER = "X-A2A-Notification-Token";

    private final Vertx vertx;
    private final A2aPushSettings settings;
    private final HttpClient client;

    A2aWebhooks(Vertx vertx, A2aPushSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
        // Core's client follows no redirect unless told to: a 3xx is an answer, not a hop inside.
        this.client = vertx.createHttpClient(new HttpClientOptions()
                .setConnectTimeout((int) settings.connectTimeout().toMillis())
                .setKeepAlive(false));
    }

    /** Where a webhook is reached: its URL and the address checked for it. */
    record Target(URI uri, InetAddress address, int port, boolean https) {}

    /**
     * Checks a webhook URL and resolves its host (blocking: call it off the event loop).
     *
     * @throws A2aError invalid params naming what is wrong
     */
    Target check(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw A2aError.invalidParams("the webhook url is not a URL: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw A2aError.invalidParams(
                    "the webhook url must be http or https, got " + ClientText.quote(uri.getScheme()));
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
            throw A2aError.invalidParams(
                    "the webhook url must name a host, with no user name or password and no #fragment");
        }
        if (AMBIGUOUS_IPV4.matcher(uri.getHost()).matches()) {
            // libc and curl read 0177.0.0.1 as octal (127.0.0.1), Java as decimal (177.0.0.1): refuse
            // a literal whose meaning depends on who reads it.
            throw A2aError.invalidParams("the webhook host " + ClientText.quote(uri.getHost())
                    + " is an IPv4 address with a leading zero, which other parsers read as octal: write it"
                    + " without leading zeros");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw A2aError.invalidParams("the webhook port " + uri.getPort() + " is not 1 to 65535");
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(uri.getHost());
        } catch (UnknownHostException e) {
            throw A2aError.invalidParams("the webhook host " + ClientText.quote(uri.getHost()) + " does not resolve");
        }
        if (!settings.allowPrivateAddresses()) {
            for (InetAddress address : addresses) {
                if (isInternal(address)) {
                    throw A2aError.invalidParams("the webhook host " + ClientText.quote(uri.getHost()) + " resolves to "
                            + address.getHostAddress() + ", an internal address (loopback, link-local or private):"
                            + " webhooks must be public (skein.a2a.push.allow-private-addresses allows them)");
                }
            }
        }
        boolean https = scheme.equals("https");
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        return new Target(uri, addresses[0], port, https);
    }

    /** Addresses a webhook may not reach unless allowed. */
    static boolean isInternal(InetAddress address) {
        if (address.isLoopbackAddress()
                || address.isLinkLocalAddress()
                || address.isSiteLocalAddress()
                || address.isAnyLocalAddress()
                || address.isMulticastAddress()) {
            return true;
        }
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 // "this network"
                    || (first == 100 && (second & 0xc0) == 64) // 100.64.0.0/10, carrier-grade NAT
                    || (first == 198 && (second & 0xfe) == 18) // 198.18.0.0/15, benchmarking
                    || first >= 240; // reserved and broadcast
        }
        if ((b[0] & 0xfe) == 0xfc) { // fc00::/7, unique local
            return true;
        }
        // IPv6 forms that carry an IPv4 address, which a translator or tunnel may deliver to: the
        // embedded address is checked like any other (IPv4-mapped ones Java already turns into IPv4).
        if (prefixIs(b, 12, new byte[12])) { // ::a.b.c.d, IPv4-compatible (:: and ::1 are caught above)
            return true;
        }
        if (prefixIs(b, 12, NAT64) || prefixIs(b, 6, NAT64_LOCAL)) { // 64:ff9b::/96, 64:ff9b:1::/48
            return prefixIs(b, 6, NAT64_LOCAL) || isInternal(ipv4(b, 12));
        }
        if ((b[0] & 0xff) == 0x20 && b[1] == 0x02) { // 2002::/16, 6to4: the IPv4 address in bits 16 to 48
            return isInternal(ipv4(b, 2));
        }
        // 2001:0::/32, Teredo: its server and client addresses are obfuscated; no webhook needs one.
        return (b[0] & 0xff) == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0;
    }

    private static final java.util.regex.Pattern AMBIGUOUS_IPV4 =
            java.util.regex.Pattern.compile("(?:\\d+\\.){0,3}0\\d+(?:\\.\\d+){0,3}");
    private static final byte[] NAT64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] NAT64_LOCAL = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 1};

    private static boolean prefixIs(byte[] address, int length, byte[] prefix) {
        return java.util.Arrays.equals(address, 0, length, prefix, 0, length);
    }

    private static InetAddress ipv4(byte[] address, int from) {
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(address, from, from + 4));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("four bytes are an IPv4 address", e);
        }
    }

    /**
     * POSTs {@code payload} (a {@code StreamResponse}) to the config's webhook, retried on a
     * connection failure, a timeout, 408, 429 or 5xx; completes when it was taken (2xx), or fails
     * once it is given up.
     */
    Future<Void> deliver(A2aPushConfig config, JsonObject payload) {
        Promise<Void> done = Promise.promise();
        attempt(config, Buffer.buffer(payload.encode()), 1, done);
        return done.future();
    }

    private void attempt(A2aPushConfig config, Buffer body, int attempt, Promise<Void> done) {
        vertx.executeBlocking(() -> check(config.url()), false)
                .compose(target -> post(target, config, body))
                .onComplete(posted -> {
                    if (posted.succeeded() && posted.result() / 100 == 2) {
                        done.complete();
                        return;
                    }
                    String why = posted.succeeded()
                            ? "answered " + posted.result()
                            : posted.cause().getMessage();
                    boolean retryable = posted.failed()
                            ? !(posted.cause() instanceof A2aError)
                            : posted.result() == 408 || posted.result() == 429 || posted.result() >= 500;
                    if (!retryable || attempt >= settings.maxAttempts()) {
                        log.warn(
                                "task {}: push notification to {} given up after {} attempt(s): {}",
                                config.taskId(),
                                config.url(),
                                attempt,
                                why);
                        done.fail("the webhook " + why);
                        return;
                    }
                    long wait = settings.initialBackoff().toMillis() << Math.min(attempt - 1, 16);
                    log.info(
                            "task {}: push notification to {} failed ({}); attempt {} of {} in {} ms",
                            config.taskId(),
                            config.url(),
                            why,
                            attempt + 1,
                            settings.maxAttempts(),
                            wait);
                    vertx.setTimer(wait, id -> attempt(config, body, attempt + 1, done));
                });
    }

    private Future<Integer> post(Target target, A2aPushConfig config, Buffer body) {
        String path =
                target.uri().getRawPath() == null || target.uri().getRawPath().isEmpty()
                        ? "/"
                        : target.uri().getRawPath();
        if (target.uri().getRawQuery() != null) {
            path += "?" + target.uri().getRawQuery();
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                // The checked address, not the name again: it cannot be re-resolved to another.
                .setServer(SocketAddress.inetSocketAddress(
                        target.port(), target.address().getHostAddress()))
                .setHost(target.uri().getHost())
                .setPort(target.port())
                .setSsl(target.https())
                .setURI(path)
                .setFollowRedirects(false)
                .setTimeout(settings.requestTimeout().toMillis())
                .putHeader("Content-Type", A2aRestEndpoint.CONTENT_TYPE);
        if (config.authScheme() != null) {
            options.putHeader(
                    "Authorization",
                    config.authScheme() + (config.authCredentials() == null ? "" : " " + config.authCredentials()));
        }
        if (config.token() != null) {
            options.putHeader(TOKEN_HEADER, config.token());
        }
        return client.request(options).compose(request -> request.send(body)).compose(response -> {
            // The answer's body is not needed: drop it as it comes, rather than hold what a peer sends.
            response.handler(chunk -> {});
            return response.end().map(v -> response.statusCode());
        });
    }
}

package dev.skein.ingress;

import java.time.Duration;

/**
 * A2A push notifications ({@code skein.a2a.push}): whether tasks take webhook configs, and how
 * the webhooks are called.
 *
 * @param enabled                take push notification configs ({@code capabilities.pushNotifications})
 * @param allowPrivateAddresses  let webhooks reach loopback, link-local and private addresses
 *                               ({@code allow-private-addresses}); off, they are refused (SSRF)
 * @param connectTimeout         to open a connection to a webhook
 * @param requestTimeout         for a webhook's whole answer
 * @param maxAttempts            deliveries of one notification before it is given up, 1 or more
 * @param initialBackoff         the wait before the second attempt; it doubles after each failure
 * @param pollInterval           how often the state of tasks with configs is read (a change is pushed)
 */
public record A2aPushSettings(
        boolean enabled,
        boolean allowPrivateAddresses,
        Duration connectTimeout,
        Duration requestTimeout,
        int maxAttempts,
        Duration initialBackoff,
        Duration pollInterval) {

    /** No push notifications. */
    public static final A2aPushSettings OFF = new A2aPushSettings(
            false,
            false,
            Duration.ofSeconds(5),
            Duration.ofSeconds(10),
            1,
            Duration.ofSeconds(1),
            Duration.ofSeconds(1));

    public A2aPushSettings {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("skein.a2a.push.max-attempts must be at least 1, got " + maxAttempts);
        }
        for (Duration each : new Duration[] {connectTimeout, requestTimeout, initialBackoff, pollInterval}) {
            if (each == null || each.isNegative() || each.isZero()) {
                throw new IllegalArgumentException("skein.a2a.push timeouts, backoff and poll-interval must be"
                        + " positive durations, got " + each);
            }
        }
    }
}

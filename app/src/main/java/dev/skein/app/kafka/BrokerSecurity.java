package dev.skein.app.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one start of a secured {@link LocalKafka} is wired (see {@link LocalKafkaSecurity}):
 *
 * <ul>
 *   <li>{@code EXTERNAL}, the client port: SASL_SSL with SCRAM, the only listener clients are told of;
 *   <li>{@code INTERNAL} (inter-broker: transaction markers go through it) and {@code CONTROLLER}:
 *       SASL_PLAINTEXT with PLAIN on loopback, for the broker's own principal {@code broker}, whose
 *       password is drawn anew on every start and known only to this process and its broker;
 *   <li>the StandardAuthorizer, with {@code broker} and the configured super users as super users.
 * </ul>
 *
 * SCRAM users live in the cluster's metadata, which needs a running broker to write: the launcher
 * creates them over {@code INTERNAL} as {@code broker} before {@link LocalKafka#start()} returns.
 */
final class BrokerSecurity {

    static final String EXTERNAL = "EXTERNAL";
    static final String INTERNAL = "INTERNAL";

    private static final Logger LOG = LoggerFactory.getLogger(BrokerSecurity.class);
    private static final String PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final int SCRAM_ITERATIONS = 8192;
    private static final Duration LOGIN_RETRY = Duration.ofMillis(200);

    private final LocalKafkaSecurity security;
    private final BrokerTls tls;
    private final int internalPort;
    private final String brokerSecret;

    private BrokerSecurity(LocalKafkaSecurity security, BrokerTls tls, int internalPort, String brokerSecret) {
        this.security = security;
        this.tls = tls;
        this.internalPort = internalPort;
        this.brokerSecret = brokerSecret;
    }

    /** Makes or reuses the TLS material under {@code tlsDir} and draws the broker's own password. */
    static BrokerSecurity prepare(LocalKafkaSecurity security, Path tlsDir, int internalPort) {
        return new BrokerSecurity(
                security,
                BrokerTls.inDirectory(tlsDir),
                internalPort,
                Base64.getUrlEncoder().withoutPadding().encodeToString(BrokerTls.randomBytes(24)));
    }

    BrokerTls tls() {
        return tls;
    }

    /** Broker settings that replace the plaintext single-node listeners. */
    Map<String, String> brokerProperties(int brokerPort, int controllerPort) {
        String host = BrokerProperties.HOST;
        String controller = BrokerProperties.CONTROLLER_LISTENER;
        String scram = security.mechanismName();
        String brokerLogin = PLAIN_MODULE + " required username=\"" + LocalKafkaSecurity.BROKER_USER + "\" password=\""
                + brokerSecret + "\" user_" + LocalKafkaSecurity.BROKER_USER + "=\"" + brokerSecret + "\";";
        Map<String, String> props = new LinkedHashMap<>();
        props.put(
                "listeners",
                EXTERNAL + "://" + host + ":" + brokerPort + "," + INTERNAL + "://" + host + ":" + internalPort + ","
                        + controller + "://" + host + ":" + controllerPort);
        props.put(
                "advertised.listeners",
                EXTERNAL + "://" + host + ":" + brokerPort + "," + INTERNAL + "://" + host + ":" + internalPort);
        props.put(
                "listener.security.protocol.map",
                EXTERNAL + ":SASL_SSL," + INTERNAL + ":SASL_PLAINTEXT," + controller + ":SASL_PLAINTEXT");
        props.put("inter.broker.listener.name", INTERNAL);
        props.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        props.put("sasl.mechanism.controller.protocol", "PLAIN");
        for (String listener : List.of(INTERNAL, controller)) {
            String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
            props.put(prefix + "sasl.enabled.mechanisms", "PLAIN");
            // PLAIN's server side checks user_<name>; the same line gives the broker its client login.
            props.put(prefix + "plain.sasl.jaas.config", brokerLogin);
        }
        String external = "listener.name." + EXTERNAL.toLowerCase(Locale.ROOT) + ".";
        props.put(external + "sasl.enabled.mechanisms", scram);
        props.put(external + scram.toLowerCase(Locale.ROOT) + ".sasl.jaas.config", SCRAM_MODULE + " required;");
        props.put(external + SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PKCS12");
        props.put(
                external + SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG,
                tls.keystore().toAbsolutePath().toString());
        props.put(external + SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, tls.keystorePassword());
        props.put(external + SslConfigs.SSL_KEY_PASSWORD_CONFIG, tls.keystorePassword());
        props.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        props.put("allow.everyone.if.no.acl.found", "false");
        props.put(
                "super.users",
                Stream.concat(
                                Stream.of(LocalKafkaSecurity.BROKER_USER),
                                security.superUsers().stream().sorted())
                        .map(user -> "User:" + user)
                        .collect(Collectors.joining(";")));
        return props;
    }

    /** An admin client's settings for the internal listener, as the broker's own super user. */
    Map<String, Object> internalAdminConfig() {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, BrokerProperties.HOST + ":" + internalPort);
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        config.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        config.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                PLAIN_MODULE + " required username=\"" + LocalKafkaSecurity.BROKER_USER + "\" password=\""
                        + brokerSecret + "\";");
        return config;
    }

    /** What a client of the external listener sets, besides bootstrap servers, to log in as {@code user}. */
    Map<String, String> clientSettings(String user) {
        String password = security.users().get(user);
        if (password == null) {
            throw new IllegalArgumentException("no user " + user + " on this broker; users: "
                    + security.users().keySet());
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        settings.put(SaslConfigs.SASL_MECHANISM, security.mechanismName());
        settings.put(
                SaslConfigs.SASL_JAAS_CONFIG,
                SCRAM_MODULE + " required username=\"" + user + "\" password=\"" + jaasEscaped(password) + "\";");
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        settings.put(
                SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG,
                tls.caCertificate().toAbsolutePath().toString());
        return settings;
    }

    /**
     * Creates (or updates) every user's SCRAM credential through {@code internalAdmin}, then waits
     * until a super user logs in on the external listener at {@code externalBootstrap}: the
     * credentials reach the listener's authenticator through the metadata log, a moment after the
     * controller has accepted them.
     */
    void provision(Admin internalAdmin, String externalBootstrap, long deadlineNanos)
            throws ExecutionException, TimeoutException, InterruptedException {
        List<UserScramCredentialAlteration> upserts = security.users().entrySet().stream()
                .<UserScramCredentialAlteration>map(user -> new UserScramCredentialUpsertion(
                        user.getKey(),
                        new ScramCredentialInfo(security.mechanism(), SCRAM_ITERATIONS),
                        user.getValue()))
                .toList();
        internalAdmin
                .alterUserScramCredentials(upserts)
                .all()
                .get(remainingMillis(deadlineNanos), TimeUnit.MILLISECONDS);
        String loginUser = security.superUsers().stream().sorted().findFirst().orElse(null);
        if (loginUser == null) {
            return;
        }
        Map<String, Object> login = new LinkedHashMap<>(clientSettings(loginUser));
        login.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, externalBootstrap);
        while (true) {
            try (Admin external = Admin.create(login)) {
                long remaining = remainingMillis(deadlineNanos);
                external.describeCluster(new DescribeClusterOptions().timeoutMs((int) remaining))
                        .nodes()
                        .get(remaining + 1_000, TimeUnit.MILLISECONDS);
                LOG.info(
                        "Kafka at {} takes {} over TLS for users {}",
                        externalBootstrap,
                        security.mechanismName(),
                        security.users().keySet());
                return;
            } catch (ExecutionException e) {
                // No listener exists for the credential's arrival: try again until it has arrived.
                if (!(e.getCause() instanceof SaslAuthenticationException) || remainingMillis(deadlineNanos) <= 1) {
                    throw e;
                }
                Thread.sleep(LOGIN_RETRY.toMillis());
            }
        }
    }

    /** A JAAS option value's content, with backslash and quote escaped as the JAAS parser reads them. */
    static String jaasEscaped(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private static long remainingMillis(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}

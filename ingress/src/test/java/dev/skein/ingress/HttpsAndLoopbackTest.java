package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.ingress.auth.AuthConfig;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS from PEM files, and the rule that an open API is served on loopback only. */
class HttpsAndLoopbackTest {

    @TempDir
    static Path dir;

    private static X509Certificate certificate;
    private static IngressConfig.Tls tls;

    @BeforeAll
    static void selfSigned() throws Exception {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        X500Name name = new X500Name("CN=127.0.0.1");
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                name,
                BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(1))),
                name,
                pair.getPublic());
        builder.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        certificate = new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
        Path cert = pem(dir.resolve("cert.pem"), "CERTIFICATE", certificate.getEncoded());
        Path key = pem(dir.resolve("key.pem"), "PRIVATE KEY", pair.getPrivate().getEncoded());
        tls = new IngressConfig.Tls(cert, key);
    }

    @Test
    void servesHttpsFromPemFilesAndRefusesPlainHttpOnThatPort() throws Exception {
        try (SkeinIngress ingress = ingress(TestIngressConfig.builder().tls(tls).build())) {
            int port = ingress.start();
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("skein", certificate);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            try (HttpClient https = HttpClient.newBuilder().sslContext(context).build()) {
                HttpResponse<String> health = https.send(
                        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/health"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).contains("UP");
                HttpResponse<String> turn = https.send(
                        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/v1/sessions/s/turns"))
                                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"over TLS\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(turn.statusCode()).isEqualTo(202);
            }
            // Plain HTTP on the TLS port gets no HTTP answer: the connection is closed.
            RawHttp.Response plain = RawHttp.send(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 5_000);
            assertThat(plain.status()).isEqualTo(-1);
        }
    }

    @Test
    void aMissingPemFileFailsTheStartNamingTheKeys() {
        IngressConfig config = TestIngressConfig.builder()
                .tls(new IngressConfig.Tls(dir.resolve("nope.pem"), tls.keyPath()))
                .build();
        try (SkeinIngress ingress = ingress(config)) {
            assertThatThrownBy(ingress::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("nope.pem")
                    .hasMessageContaining("skein.http.tls.cert-path");
        }
    }

    @Test
    void anOpenApiIsServedOnLoopbackOnlyUnlessAllowedExplicitly() {
        assertThatThrownBy(() -> TestIngressConfig.builder().host("0.0.0.0").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("skein.auth.enabled")
                .hasMessageContaining("skein.auth.allow-unauthenticated");
        assertThat(TestIngressConfig.builder()
                        .host("0.0.0.0")
                        .auth(new AuthConfig(false, true, List.of(), false, null))
                        .build()
                        .host())
                .isEqualTo("0.0.0.0");
        for (String loopback : List.of("127.0.0.1", "127.1.2.3", "::1", "localhost")) {
            assertThat(TestIngressConfig.builder().host(loopback).build().host())
                    .isEqualTo(loopback);
        }
    }

    private static SkeinIngress ingress(IngressConfig config) {
        return SkeinIngress.builder(
                        config,
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
    }

    private static Path pem(Path file, String type, byte[] der) throws IOException {
        return Files.writeString(
                file,
                "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + type
                        + "-----\n");
    }
}

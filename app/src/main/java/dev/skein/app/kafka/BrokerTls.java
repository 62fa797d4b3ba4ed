package dev.skein.app.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TLS material of a local broker: a certificate authority made for it, and the broker's key and
 * certificate (for 127.0.0.1 and localhost) signed by that authority. Made once in a directory of
 * the broker's data and reused, so that clients that trust {@link #caCertificate()} keep trusting
 * the broker across restarts; made again when the broker's certificate is close to expiry.
 *
 * <p>Nobody outside this machine should trust this authority: its key is not kept, so it signs
 * nothing else.
 *
 * @param caCertificate the authority's certificate, PEM: a client's truststore
 * @param keystore the broker's key and certificate chain, PKCS12
 * @param keystorePassword the keystore's password (and its key's)
 */
record BrokerTls(Path caCertificate, Path keystore, String keystorePassword) {

    static final String CA_FILE = "ca.pem";
    static final String KEYSTORE_FILE = "broker.p12";
    static final String PASSWORD_FILE = "broker.p12.password";
    private static final String ALIAS = "broker";
    private static final Duration VALIDITY = Duration.ofDays(825);
    /** A certificate closer than this to its end is replaced at the next start. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private static final String SIGNATURE = "SHA256withECDSA";

    /** The material in {@code dir}, made when it is absent or its certificate ends within 30 days. */
    static BrokerTls inDirectory(Path dir) {
        Path ca = dir.resolve(CA_FILE);
        Path keystore = dir.resolve(KEYSTORE_FILE);
        Path passwordFile = dir.resolve(PASSWORD_FILE);
        try {
            Files.createDirectories(dir);
            if (Files.isRegularFile(ca) && Files.isRegularFile(keystore) && Files.isRegularFile(passwordFile)) {
                String password = Files.readString(passwordFile).strip();
                if (validUntil(keystore, password).isAfter(Instant.now().plus(RENEW_BEFORE))) {
                    return new BrokerTls(ca, keystore, password);
                }
            }
            return make(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare the broker's TLS files in " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("Cannot make the broker's TLS certificates in " + dir + ": " + e, e);
        }
    }

    private static BrokerTls make(Path dir) throws IOException, GeneralSecurityException, OperatorCreationException {
        Instant now = Instant.now();
        KeyPair caKeys = keyPair();
        X500Name caName = new X500Name("CN=Skein local Kafka CA " + now.getEpochSecond());
        X509v3CertificateBuilder ca = new JcaX509v3CertificateBuilder(
                caName,
                serial(),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(VALIDITY)),
                caName,
                caKeys.getPublic());
        ca.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
        ca.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caCertificate = sign(ca, caKeys.getPrivate());

        KeyPair brokerKeys = keyPair();
        X509v3CertificateBuilder broker = new JcaX509v3CertificateBuilder(
                caName,
                serial(),
                Date.from(now.minusSeconds(60)),
                Date.from(now.plus(VALIDITY)),
                new X500Name("CN=" + BrokerProperties.HOST),
                brokerKeys.getPublic());
        broker.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        broker.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        // Brokers also connect to each other: the certificate serves as a client's too.
        broker.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(new KeyPurposeId[] {
            KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
        }));
        // Clients check the address they dialled against these names (hostname verification).
        broker.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.iPAddress, BrokerProperties.HOST),
            new GeneralName(GeneralName.dNSName, "localhost")
        }));
        X509Certificate brokerCertificate = sign(broker, caKeys.getPrivate());

        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(24));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry(ALIAS, brokerKeys.getPrivate(), password.toCharArray(), new Certificate[] {
            brokerCertificate, caCertificate
        });
        Path keystore = dir.resolve(KEYSTORE_FILE);
        Path passwordFile = dir.resolve(PASSWORD_FILE);
        writeOwnerOnly(passwordFile, password.getBytes(StandardCharsets.UTF_8));
        try (OutputStream out = Files.newOutputStream(keystore)) {
            store.store(out, password.toCharArray());
        }
        ownerOnly(keystore);
        StringWriter pem = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(pem)) {
            writer.writeObject(caCertificate);
        }
        Files.writeString(dir.resolve(CA_FILE), pem.toString(), StandardCharsets.UTF_8);
        return new BrokerTls(dir.resolve(CA_FILE), keystore, password);
    }

    private static Instant validUntil(Path keystore, String password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, password.toCharArray());
        } catch (IOException e) {
            // A keystore that does not open with its password (a torn write) is made again.
            return Instant.EPOCH;
        }
        Certificate certificate = store.getCertificate(ALIAS);
        return certificate instanceof X509Certificate x509 ? x509.getNotAfter().toInstant() : Instant.EPOCH;
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(builder.build(new JcaContentSignerBuilder(SIGNATURE).build(key)));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(1, randomBytes(16));
    }

    static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** Writes a secret readable by this user only (where the file system has POSIX permissions). */
    static void writeOwnerOnly(Path file, byte[] content) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file);
        ownerOnly(file);
        Files.write(file, content);
    }

    static void ownerOnly(Path file) throws IOException {
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
    }
}

package dev.skein.ingress;

import dev.skein.events.SessionCommand;
import dev.skein.events.TurnRequested;
import java.util.concurrent.CompletableFuture;

/**
 * Where the ingress hands turns and session commands to the rest of Skein.
 *
 * <p>Contract: {@code submit} never blocks its caller (the ingress calls it on a Vert.x event
 * loop); the future completes once the event is durably accepted (for Kafka: acknowledged by
 * all in-sync replicas) and fails with an exception whose message says why otherwise. Events of
 * one caller are submitted in the order of the calls.
 */
public interface TurnGateway {

    CompletableFuture<Void> submit(TurnRequested turn);

    CompletableFuture<Void> submit(SessionCommand command);
}

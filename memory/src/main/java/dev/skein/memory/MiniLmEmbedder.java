package dev.skein.memory;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * all-MiniLM-L6-v2 (384 dimensions) run in process by ONNX Runtime: the model ships inside
 * LangChain4j's jar, so embedding needs no network and no model download. Loading takes about a
 * second and is done on the first {@link #embed}, so an index that only applies records never
 * pays for it; one instance is shared by every caller.
 */
public final class MiniLmEmbedder implements Embedder {

    public static final String MODEL = "all-minilm-l6-v2";

    private volatile AllMiniLmL6V2EmbeddingModel model;

    @Override
    public String model() {
        return MODEL;
    }

    @Override
    public int dimensions() {
        return 384;
    }

    @Override
    public float[] embed(String text) {
        return loaded().embed(text).content().vector();
    }

    private AllMiniLmL6V2EmbeddingModel loaded() {
        AllMiniLmL6V2EmbeddingModel loaded = model;
        if (loaded == null) {
            synchronized (this) {
                loaded = model;
                if (loaded == null) {
                    loaded = new AllMiniLmL6V2EmbeddingModel();
                    model = loaded;
                }
            }
        }
        return loaded;
    }
}

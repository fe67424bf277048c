package mmgp.api;

/** What a model does; the engine keeps one model and one request queue per task. */
public enum Task {
    /** Video or image + prompt → text (SmolVLM2). */
    UNDERSTAND("understand"),
    /** Prompt → image (aMUSEd). */
    IMAGE("image"),
    /** Prompt → video (LTX-Video). */
    VIDEO("video");

    private final String label;

    Task(String label) {
        this.label = label;
    }

    /** Lower-case name used in metrics, logs and the HTTP API. */
    public String label() {
        return label;
    }
}

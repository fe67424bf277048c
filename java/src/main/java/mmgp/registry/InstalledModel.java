package mmgp.registry;

import java.nio.file.Path;

/** A model in the registry: its folder and manifest. */
public record InstalledModel(Path folder, ModelManifest manifest) {
    public String name() {
        return manifest.name();
    }

    /** What a loader opens: the GGUF file for aMUSEd and LTX-Video, the folder for SmolVLM2. */
    public Path entryPoint() {
        return manifest.entry().equals(".") ? folder : folder.resolve(manifest.entry());
    }
}

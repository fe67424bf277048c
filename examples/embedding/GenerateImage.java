// A minimal program that embeds the mmgp engine: one image from a prompt.
//
// Build and run (after ./mvnw -q install -DskipTests, which puts dev.mmgp:mmgp-models in ~/.m2):
//   see README "Embedding the engine" for the dependency and the JVM flags; or, from a checkout:
//   ./mvnw -q -pl models -am install -DskipTests
//   ./mvnw -q -pl models dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/classpath.txt
//   java --enable-native-access=ALL-UNNAMED --add-modules=jdk.incubator.vector \
//        -cp "models/target/mmgp-models-0.1.0-SNAPSHOT.jar:$(cat models/target/classpath.txt)" \
//        examples/embedding/GenerateImage.java <amused model> "a red fox" fox.png
//
// <amused model> is an aMUSEd .gguf, a folder `mmgp pull amused-256` installed, or a Hugging Face folder.

import java.nio.file.Path;
import mmgp.api.ImageOptions;
import mmgp.api.ImageRequest;
import mmgp.api.ImageResult;
import mmgp.api.ProgressListener;
import mmgp.api.Task;
import mmgp.engine.Engine;

public class GenerateImage {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: GenerateImage <amused model> <prompt> <out.png|.jpg> [steps]");
            System.exit(2);
        }
        Path model = Path.of(args[0]), out = Path.of(args[2]);
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 12;
        try (Engine engine = Engine.builder().model(Task.IMAGE, model).build()) {
            ImageRequest request = new ImageRequest(args[1], ImageOptions.defaults().withSteps(steps).withSeed(42));
            ProgressListener progress = ProgressListener.onStep((stage, done, total, seconds) ->
                    System.err.printf("%s %d/%d (%.2f s)%n", stage, done, total, seconds));
            ImageResult image = engine.generateImage(request, progress).result().get();
            image.write(out);
            System.out.printf("wrote %s (%d×%d, seed %d)%n", out, image.width(), image.height(), image.seed());
        }
    }
}

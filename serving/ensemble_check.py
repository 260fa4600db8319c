"""Static checks of an ensemble against the models it calls: every tensor it routes exists, with one type.

Triton checks this too, but only when the server loads the repository; the GPU variant cannot load here (no
TensorRT), so the same rules are checked on the files.
"""

from __future__ import annotations

from pathlib import Path

from serving.model_config import ModelConfig, read, tensors


def check_ensemble(ensemble: ModelConfig, models: dict[str, ModelConfig]) -> list[str]:
    """Problems of `ensemble` (a parsed config) given the parsed configs of the models it may call."""
    problems = []
    batch = ensemble.max_batch_size
    available = dict(tensors(ensemble, "input"))  # ensemble tensor name -> (type, dims)
    produced_outputs = set()
    for step in ensemble.ensemble_scheduling.step:
        name = step.model_name
        if name not in models:
            problems.append(f"step {name}: no such model")
            continue
        model = models[name]
        if model.max_batch_size < batch:
            problems.append(f"step {name}: max_batch_size {model.max_batch_size} is below the ensemble's {batch}")
        inputs, outputs = tensors(model, "input"), tensors(model, "output")
        mapped = dict(step.input_map)
        optional = {t.name for t in model.input if t.optional}
        problems += [f"step {name}: required input {i} is not mapped" for i in inputs if i not in mapped and i not in optional]
        for key, source in mapped.items():
            if key not in inputs:
                problems.append(f"step {name}: {key} is not an input of {name}")
            elif source not in available:
                problems.append(f"step {name}: {key} reads {source!r}, which no earlier step produces")
            elif available[source][0] != inputs[key][0]:
                problems.append(f"step {name}: {key} is {inputs[key][0]} but {source!r} is {available[source][0]}")
        for key, target in step.output_map.items():
            if key not in outputs:
                problems.append(f"step {name}: {key} is not an output of {name}")
                continue
            available[target] = outputs[key]
            produced_outputs.add(target)
    for name, (data_type, _) in tensors(ensemble, "output").items():
        if name not in produced_outputs:
            problems.append(f"ensemble output {name} is produced by no step")
        elif available[name][0] != data_type:
            problems.append(f"ensemble output {name} is {data_type} but its step makes {available[name][0]}")
    return problems


def check_repository(root: Path, ensemble: str = "tts") -> list[str]:
    """check_ensemble for `root/<ensemble>` against the other models in `root`."""
    models = {p.parent.name: read(p) for p in root.glob("*/config.pbtxt")}
    return check_ensemble(models[ensemble], models)

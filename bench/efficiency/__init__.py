"""bench/search_efficiency.py's parts: record real learning curves, replay every method over them.

    data      the benchmark's images: the digits, made harder (noise, shifts, fewer samples)
    spaces    the two search spaces (the lecture's cells network; EfficientNet compound scaling)
    record    train every configuration of a space with the real trainer; store the curves
    table     the stored curves (bench/data/search_efficiency/<space>.json)
    simulate  a virtual cluster of P workers replaying recorded epochs for any search driver
    kubetune_driver  kubetune's real suggesters, early-stopping rules and checkpoint pool on it
    optuna_peer  Optuna's TPESampler + HyperbandPruner over the same curves
    replay    every method x seed over the tables
    methods   the methods compared, from what kubetune's registries hold
    report    statistics, the text table, the closing line
    plot      the anytime plot (PNG, drawn with Pillow)
    live      the live check: the winner vs random with `kubetune run` on real training
    fixed_cost  the per-trial fixed cost the replay charges, measured with 1-epoch `kubetune run` trials
"""

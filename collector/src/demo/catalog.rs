//! The demo's license servers: their hosts, vendor daemons and features (seats, demand,
//! session lengths, growth, who uses them), and each feature's seat price.

pub(super) struct FeatureSpec {
    pub(super) name: &'static str,
    pub(super) vendor: &'static str,
    pub(super) issued: u32,
    /// Share of seats in use at a weekday peak hour (may exceed 1: demand beyond supply).
    pub(super) peak_share: f64,
    /// Mean session length in hours.
    pub(super) mean_hours: f64,
    /// Licenses per checkout (1 for most; HPC tokens draw from this range).
    pub(super) tokens: (u32, u32),
    /// Growth of demand over the whole period (0.3 = +30 %).
    pub(super) growth: f64,
    /// Departments whose people use it.
    pub(super) departments: &'static [usize],
    pub(super) hpc: bool,
}

pub(super) struct ServerSpec {
    pub(super) name: &'static str,
    pub(super) hosts: &'static [&'static str],
    pub(super) vendors: &'static [&'static str],
    pub(super) features: &'static [FeatureSpec],
}

pub(super) const DEPARTMENTS: &[&str] = &["mech", "ctrl", "chip", "rsch", "plm"];

const fn f(
    name: &'static str,
    vendor: &'static str,
    issued: u32,
    peak_share: f64,
    mean_hours: f64,
    departments: &'static [usize],
) -> FeatureSpec {
    FeatureSpec {
        name,
        vendor,
        issued,
        peak_share,
        mean_hours,
        tokens: (1, 1),
        growth: 0.1,
        departments,
        hpc: false,
    }
}

const fn hpc(spec: FeatureSpec, tokens: (u32, u32), growth: f64) -> FeatureSpec {
    FeatureSpec {
        tokens,
        growth,
        hpc: true,
        ..spec
    }
}

const fn grow(spec: FeatureSpec, growth: f64) -> FeatureSpec {
    FeatureSpec { growth, ..spec }
}

pub(super) const SERVERS: &[ServerSpec] = &[
    ServerSpec {
        name: "27000@lic-ansys01",
        hosts: &["lic-ansys01"],
        vendors: &["ansyslmd"],
        features: &[
            grow(f("ansys", "ansyslmd", 30, 0.75, 3.0, &[0, 3]), 0.35),
            hpc(
                f("anshpc", "ansyslmd", 512, 0.45, 4.0, &[0, 3]),
                (4, 32),
                0.4,
            ),
            f("acfd", "ansyslmd", 20, 0.45, 3.5, &[0, 3]),
            f("mech_1", "ansyslmd", 15, 0.35, 2.5, &[0]),
            f("mech_2", "ansyslmd", 10, 0.25, 2.5, &[0]),
            f("dyna", "ansyslmd", 8, 0.25, 5.0, &[0]),
            f("cfx_pre", "ansyslmd", 12, 0.22, 1.5, &[0, 3]),
            f("ansys_spaceclaim", "ansyslmd", 10, 0.2, 1.0, &[0]),
        ],
    },
    ServerSpec {
        name: "1055@lic-mw01",
        hosts: &["lic-mw01"],
        vendors: &["MLM"],
        features: &[
            grow(f("MATLAB", "MLM", 100, 0.6, 3.0, &[1, 3, 0, 2]), 0.2),
            // Demand beyond supply: the demo's shortage.
            grow(f("SIMULINK", "MLM", 25, 1.15, 3.0, &[1, 3]), 0.25),
            f("Signal_Toolbox", "MLM", 20, 0.45, 2.0, &[1, 3]),
            f("Optimization_Toolbox", "MLM", 15, 0.3, 1.5, &[1, 3, 0]),
            f("Statistics_Toolbox", "MLM", 25, 0.35, 1.5, &[3, 1]),
            f("Distrib_Computing_Toolbox", "MLM", 10, 0.2, 2.0, &[3]),
            hpc(
                f("MATLAB_Distrib_Comp_Engine", "MLM", 256, 0.35, 3.0, &[3]),
                (8, 32),
                0.3,
            ),
            f("Image_Toolbox", "MLM", 12, 0.25, 1.5, &[3]),
            f("Control_Toolbox", "MLM", 10, 0.3, 2.0, &[1]),
            // Over-provisioned: barely used.
            f("Simulink_Control_Design", "MLM", 20, 0.05, 1.0, &[1]),
        ],
    },
    ServerSpec {
        name: "5280@lic-eda01,5280@lic-eda02,5280@lic-eda03",
        hosts: &["lic-eda01", "lic-eda02", "lic-eda03"],
        vendors: &["cdslmd", "snpslmd"],
        features: &[
            f("Virtuoso_Schematic_Editor_L", "cdslmd", 20, 0.6, 4.0, &[2]),
            f("Virtuoso_Layout_Suite_XL", "cdslmd", 12, 0.65, 5.0, &[2]),
            hpc(f("Spectre", "cdslmd", 30, 0.7, 2.0, &[2]), (1, 1), 0.3),
            hpc(
                f("Xcelium_Single_Core", "cdslmd", 40, 0.6, 1.5, &[2]),
                (1, 1),
                0.2,
            ),
            f("Innovus_Impl_System", "cdslmd", 6, 0.6, 6.0, &[2]),
            hpc(
                f("VCSRuntime_Net", "snpslmd", 50, 0.55, 1.0, &[2]),
                (1, 1),
                0.15,
            ),
            f("Design-Compiler", "snpslmd", 15, 0.5, 3.0, &[2]),
            f("PrimeTime", "snpslmd", 10, 0.45, 2.0, &[2]),
        ],
    },
    ServerSpec {
        name: "28000@lic-plm01",
        hosts: &["lic-plm01"],
        vendors: &["ugslmd", "cdlmd"],
        features: &[
            f("NX13100N", "ugslmd", 25, 0.55, 4.0, &[4, 0]),
            f("nx_freeform_1", "ugslmd", 8, 0.25, 2.0, &[4]),
            f("sc_solve_mech", "ugslmd", 10, 0.2, 3.0, &[4, 0]),
            f("nx_design_review", "ugslmd", 30, 0.2, 1.0, &[4, 0, 1]),
            f("ccmpsuite", "cdlmd", 15, 0.35, 4.0, &[0, 4]),
            hpc(f("ccmppower", "cdlmd", 40, 0.35, 5.0, &[0, 4]), (1, 4), 0.5),
        ],
    },
];

/// Seat prices per year for the demo's features (list-price orders of magnitude).
pub(super) fn price_of(feature: &str) -> f64 {
    match feature {
        "ansys" | "acfd" => 24_000.0,
        "anshpc" => 450.0,
        "MATLAB_Distrib_Comp_Engine" => 300.0,
        "MATLAB" => 2_150.0,
        "SIMULINK" => 3_250.0,
        f if f.ends_with("_Toolbox") || f.starts_with("Simulink_") => 1_000.0,
        f if f.starts_with("Virtuoso") || f == "Innovus_Impl_System" => 42_000.0,
        "Design-Compiler" | "PrimeTime" => 38_000.0,
        "Spectre" | "Xcelium_Single_Core" | "VCSRuntime_Net" => 9_000.0,
        "NX13100N" => 14_000.0,
        "ccmpsuite" => 18_000.0,
        "ccmppower" => 1_200.0,
        _ => 5_000.0,
    }
}

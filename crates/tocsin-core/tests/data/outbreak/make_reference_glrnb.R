# Extra reference outputs of R surveillance::glrnb for tests/outbreak.rs: fixed dispersion,
# known change (theta), ret = "value", dir = "dec", Poisson (alpha = 0), refitting, missing
# counts before the range. Run in this folder after make_reference.R (it reads the input_*.csv
# that script writes): Rscript make_reference_glrnb.R
# salmonella.agona is the package's data set, as in ../shared/reference/surveillance.
# Writes one CSV per case (t, year, epochInYear, observed, upperbound rounded to 6 decimals,
# alarm) and cases_glrnb.csv (file, input, frequency, method, params with R's control names;
# mu0 = list(S, trend, refit) is written mu0.S, mu0.trend, mu0.refit).
suppressPackageStartupMessages(library(surveillance))
cases <- data.frame()
read_input <- function(input, freq, start) {
  df <- read.csv(paste0("input_", input, ".csv"))
  sts(observed = df$observed, frequency = freq, start = start)
}
run <- function(s, input, name, control, params) {
  r <- suppressMessages(glrnb(s, control = control))
  df <- data.frame(t = control$range, year = year(r), epochInYear = epochInYear(r),
                   observed = as.vector(observed(r)), upperbound = round(as.vector(upperbound(r)), 6),
                   alarm = as.integer(as.vector(alarms(r))))
  write.csv(df, paste0(name, ".csv"), row.names = FALSE)
  cases <<- rbind(cases, data.frame(file = paste0(name, ".csv"), input = paste0("input_", input, ".csv"),
                                    frequency = s@freq, method = "glrnb", params = params))
  cat(sprintf("%-40s alarms at t=%s\n", name, paste(df$t[which(df$alarm == 1)], collapse = ",")))
}
# salmonella.agona as in the shared references (input_salmonella_agona.csv is read from there).
data("salmonella.agona"); salm <- disProg2sts(salmonella.agona)
gaps <- read_input("salmonella_na", 52, c(1990, 1))
monthly <- read_input("monthly", 12, c(2015, 1))
run(salm, "salmonella_agona", "salmonella_glrnb_alpha_value_window",
    list(range = 157:312, alpha = 0.2, ret = "value", M = 26, Mtilde = 2, c.ARL = 4),
    "alpha=0.2;ret=value;M=26;Mtilde=2;c.ARL=4")
run(salm, "salmonella_agona", "salmonella_glrnb_theta_cases",
    list(range = 157:312, theta = log(2), ret = "cases", c.ARL = 3),
    paste0("theta=", sprintf("%.17g", log(2)), ";ret=cases;c.ARL=3"))
run(salm, "salmonella_agona", "salmonella_glrnb_poisson_refit_cases",
    list(range = 157:312, alpha = 0, ret = "cases", c.ARL = 6, mu0 = list(S = 2, trend = TRUE, refit = TRUE)),
    "alpha=0;ret=cases;c.ARL=6;mu0.S=2;mu0.trend=TRUE;mu0.refit=TRUE")
run(monthly, "monthly", "monthly_glrnb_dec_trend",
    list(range = 61:108, dir = "dec", ret = "value", c.ARL = 2, mu0 = list(S = 2, trend = TRUE)),
    "dir=dec;ret=value;c.ARL=2;mu0.S=2;mu0.trend=TRUE")
run(gaps, "salmonella_na", "salmonella_na_glrnb_cases",
    list(range = 231:285, ret = "cases", c.ARL = 3),
    "ret=cases;c.ARL=3")
write.csv(cases, "cases_glrnb.csv", row.names = FALSE)
cat("surveillance", as.character(packageVersion("surveillance")), "|", R.version.string, "\n")

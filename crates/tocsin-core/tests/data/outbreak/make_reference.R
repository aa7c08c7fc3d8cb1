# Extra reference outputs of R surveillance for tests/outbreak.rs: a monthly series, missing
# counts and zero baselines. Run in this folder: Rscript make_reference.R
# Writes input_*.csv (t, year, week|month, observed), one CSV per case (as the shared
# references: t, year, epochInYear, observed, upperbound rounded to 6 decimals, alarm) and
# cases.csv (file, input, frequency, method, params with R's control names).
suppressPackageStartupMessages(library(surveillance))
cases <- data.frame()
write_input <- function(s, name) {
  col <- if (s@freq == 52) "week" else "month"
  df <- data.frame(t = seq_len(nrow(s)), year = year(s), p = epochInYear(s), observed = as.vector(observed(s)))
  names(df)[3] <- col
  write.csv(df, paste0("input_", name, ".csv"), row.names = FALSE)
}
run <- function(s, input, name, method, fun, control, params) {
  r <- fun(s, control = control)
  df <- data.frame(t = control$range, year = year(r), epochInYear = epochInYear(r),
                   observed = as.vector(observed(r)), upperbound = round(as.vector(upperbound(r)), 6),
                   alarm = as.integer(as.vector(alarms(r))))
  write.csv(df, paste0(name, ".csv"), row.names = FALSE)
  cases <<- rbind(cases, data.frame(file = paste0(name, ".csv"), input = paste0("input_", input, ".csv"),
                                    frequency = s@freq, method = method, params = params))
}
# A synthetic monthly series: 9 years of seasonal Poisson counts with an outbreak at the end.
set.seed(20261122)
n <- 108; tt <- 1:n
mu <- exp(1.8 + 0.5 * sin(2 * pi * tt / 12) + 0.002 * tt)
y <- rpois(n, mu); y[100:103] <- y[100:103] + c(6, 12, 9, 4)
monthly <- sts(observed = y, frequency = 12, start = c(2015, 1))
write_input(monthly, "monthly")
run(monthly, "monthly", "monthly_farringtonFlexible", "farrington-flexible", farringtonFlexible,
    list(range = 80:108, b = 5, w = 2), "b=5;w=2")
run(monthly, "monthly", "monthly_farringtonFlexible_noPeriods4", "farrington-flexible", farringtonFlexible,
    list(range = 80:108, b = 4, w = 1, noPeriods = 4, pastWeeksNotIncluded = 6, alpha = 0.1), "b=4;w=1;noPeriods=4;pastWeeksNotIncluded=6;alpha=0.1")
run(monthly, "monthly", "monthly_farrington", "farrington", farrington,
    list(range = 80:108, b = 5, w = 2, alpha = 0.05), "b=5;w=2;alpha=0.05")
run(monthly, "monthly", "monthly_farrington_powertrans_half_notrend", "farrington", farrington,
    list(range = 80:108, b = 4, w = 1, alpha = 0.1, trend = FALSE, powertrans = "1/2"), "b=4;w=1;alpha=0.1;trend=FALSE;powertrans=1/2")
run(monthly, "monthly", "monthly_earsC_C2", "ears-c2", earsC,
    list(range = 20:108, method = "C2", baseline = 5, minSigma = 0.5), "baseline=5;minSigma=0.5")
run(monthly, "monthly", "monthly_cusum_rossi", "cusum", cusum,
    list(range = 61:108, k = 1.5, h = 3, trans = "rossi"), "k=1.5;h=3;trans=rossi")
run(monthly, "monthly", "monthly_cusum_anscombe_m", "cusum", cusum,
    list(range = 61:108, trans = "anscombe", m = 6.5), "trans=anscombe;m=6.5")
# salmonella.agona with missing weeks: in a reference window, in the last 4 weeks, at t itself.
data("salmonella.agona"); salm <- disProg2sts(salmonella.agona)
o <- observed(salm); o[c(75, 120, 230, 286, 300, 301)] <- NA
gaps <- salm; observed(gaps) <- o
write_input(gaps, "salmonella_na")
for (m in c("C1", "C3")) run(gaps, "salmonella_na", paste0("salmonella_na_earsC_", m), paste0("ears-", tolower(m)), earsC,
                             list(range = 20:312, method = m, baseline = 7), "baseline=7")
run(gaps, "salmonella_na", "salmonella_na_farringtonFlexible", "farrington-flexible", farringtonFlexible,
    list(range = 282:312, b = 4, w = 3, noPeriods = 10, pastWeeksNotIncluded = 26, alpha = 0.1), "b=4;w=3;noPeriods=10;pastWeeksNotIncluded=26;alpha=0.1")
run(gaps, "salmonella_na", "salmonella_na_cusum", "cusum", cusum, list(range = 280:312), "")
# Zero baselines: a weekly series that is 0 but for a few weeks.
z <- rep(0, 260); z[c(30, 140, 200, 250:253)] <- c(1, 2, 1, 3, 4, 2, 5)
zeros <- sts(observed = z, frequency = 52, start = c(2020, 1))
write_input(zeros, "zeros")
run(zeros, "zeros", "zeros_earsC_C1", "ears-c1", earsC, list(range = 10:260, method = "C1"), "")
run(zeros, "zeros", "zeros_earsC_C3", "ears-c3", earsC, list(range = 12:260, method = "C3", minSigma = 0.1), "minSigma=0.1")
run(zeros, "zeros", "zeros_farringtonFlexible", "farrington-flexible", farringtonFlexible,
    list(range = 220:260, b = 3, w = 2), "b=3;w=2")
run(zeros, "zeros", "zeros_cusum", "cusum", cusum, list(range = 100:260), "")
write.csv(cases, "cases.csv", row.names = FALSE)
cat("surveillance", as.character(packageVersion("surveillance")), "|", R.version.string, "\n")

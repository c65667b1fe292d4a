"""The automations document (shared/seeds/automations.txt), top to bottom, and the test that
runs each of its examples through the HTTP API (SQLite and PostgreSQL). Files are in this
package unless named; ``documents`` is tests/documents.py, which holds the blocks verbatim.

Example in the document                           Test
------------------------------------------------  --------------------------------------------
What Are Automations / Key Concepts
  Trigger types: Event, Schedule, Manual          test_triggers::test_each_event_of_the_table_
                                                  starts_its_automation_once; test_schedules;
                                                  test_lifecycle::test_on_error_runs_after_the_
                                                  retries (POST /automations/{id}/run)
  Conditions block: IF invoice.amount > 1000      test_triggers::test_the_documents_condition_
    AND customer.segment = "enterprise"            runs_only_for_large_enterprise_invoices
    THEN continue ELSE skip (documents.            (verbatim, as top-level conditions)
    CONDITION_RULES)
  Actions: send email, send SMS, create task,     test_quick_start, test_channels::test_slack_
    update record, call webhook, retry payment      sms_and_a_signed_webhook_from_one_execution,
                                                  test_actions::test_billing_record_and_
                                                  workflow_actions
  Steps: action, condition, delay, loop           test_quick_start::test_quick_start_emails_
                                                  then_retries_after_three_days; test_loops::
                                                  test_loops_over_subscriptions_and_overdue_
                                                  invoices
Supported Triggers
  invoice.issued, invoice.paid, invoice.overdue,  test_triggers::test_each_event_of_the_table_
    payment.failed, payment.succeeded,              starts_its_automation_once (each through the
    subscription.activated, subscription.           real state change, once)
    canceled, customer.created, credits.depleted
  subscription.ending_soon ("within X days")      test_notices::test_ending_soon_matches_days_
                                                  and_fires_once_per_term; test_templates::
                                                  test_renewal_reminder_*
  usage.threshold_exceeded                        test_templates::test_usage_alert_emails_each_
                                                  crossing_and_tasks_the_owner_above_120_percent
  Schedule: Interval, every 24 hours              test_dunning::test_interval_schedules_run_
                                                  every_occurrence_in_order
  Schedule: Cron 0 9 * * 1 (Mondays at 9 AM)      test_schedules::test_a_cron_schedule_runs_
                                                  mondays_at_nine_in_berlin
  Schedule: Calendar, first day of month          test_schedules::test_a_calendar_schedule_runs_
                                                  on_the_first_day_of_every_month
Available Actions
  send_email                                      test_quick_start, test_templates (every
                                                  template), test_dunning
  send_sms, send_slack, send_webhook              test_channels::test_slack_sms_and_a_signed_
                                                  webhook_from_one_execution
  retry_payment                                   test_quick_start::test_quick_start_emails_
                                                  then_retries_after_three_days; test_templates
                                                  ::test_payment_dunning_*
  void_invoice, create_credit_note,               test_actions::test_billing_record_and_
    apply_credits, update_customer, add_tag         workflow_actions
  create_task                                     test_templates (dunning, usage_alert), test_
                                                  actions, test_lifecycle::test_on_error_runs_
                                                  after_the_retries (tasks API, PATCH to complete)
  sync_to_crm ("no CRM connected")                test_lifecycle::test_on_error_runs_after_the_
                                                  retries; test_actions::test_the_documents_
                                                  retry_configuration_on_the_automation
  Workflow: delay, branch, loop, stop             test_actions::test_billing_record_and_
                                                  workflow_actions (the action forms); test_
                                                  loops; test_templates (stop in else)
Creating Automations via Dashboard (the API underneath)
  Step 1: from template / from scratch            test_templates (POST {"template": KEY});
                                                  every other test (a definition)
  Step 2: event or schedule trigger               as Supported Triggers above
  Step 3: field / operator / value, AND/OR        test_triggers::test_field_operator_value_
    (equals, greater than, contains, ...)           rules_combine_with_and_or (every operator)
  Step 4: email, SMS, retry payment, update       as Available Actions above
    record, wait
  Step 5: Test Automation with sample data,       test_lifecycle::test_dry_run_renders_and_
    then Activate                                   changes_nothing (a draft, never activated);
                                                  test_quick_start::test_quick_start_yaml_is_
                                                  accepted_verbatim (activate)
Example: Payment Dunning Workflow, steps 1-9       test_dunning::test_dunning_workflow_step_by_
  (gentle reminder, 3 days, if unpaid: retry,       step (real mail, each instant on the clock)
  urgent, 7 days, final notice; activate)
Managing Automations
  View executions, step-by-step log               test_quick_start::test_quick_start_emails_
                                                  then_retries_after_three_days; test_templates
                                                  (step logs with their instants)
  Pause / resume (paused: no trigger)             test_lifecycle::test_paused_automations_do_
                                                  not_trigger_and_do_not_replay; test_schedules
  Version history, restore                        test_lifecycle::test_versions_restore_and_
                                                  list; test_channels::test_an_execution_
                                                  finishes_on_the_version_it_started_with
Automation Templates (both lists)
  Payment Dunning, Welcome Series, Renewal        test_templates::test_the_templates_are_the_
    Reminder, Usage Alert, Win-back Campaign        documents_and_ship_their_emails, and per
                                                  template: test_payment_dunning_escalates_an_
                                                  invoice_that_stays_unpaid, test_payment_
                                                  dunning_alone_recovers_the_payment (the FAQ's
                                                  "Automatic retries"), test_welcome_series_
                                                  sends_three_emails_over_two_weeks, test_
                                                  renewal_reminder_30_and_7_days_before_and_
                                                  the_receipt_on_renewal, test_renewal_reminder_
                                                  says_nothing_more_once_a_subscription_will_
                                                  not_renew, test_usage_alert_emails_each_
                                                  crossing_and_tasks_the_owner_above_120_
                                                  percent, test_win_back_emails_a_customer_two_
                                                  weeks_after_it_left
Quick Start (API): the YAML, verbatim             test_quick_start::test_quick_start_yaml_is_
  (documents.QUICK_START)                           accepted_verbatim, test_quick_start_emails_
                                                  then_retries_after_three_days, test_a_failed_
                                                  retry_starts_no_second_email
Template Variables
  invoice.id, .total, .currency, .status,         test_actions::test_every_template_variable_
    .dueDate, .customer.name, .customer.email;      of_the_document (each rendered, fresh after
    payment.id, .amount, .status,                   a delay; trigger.* the snapshot)
    .failureReason, .failureCount; customer.id,
    .name, .email, .segment, .createdAt
  trigger.customer.email, trigger.failureCount    test_quick_start (the YAML);
                                                  test_actions::test_every_template_variable_
                                                  of_the_document
  trigger.accountOwner                            test_actions::test_the_documents_fallback_
                                                  actions; test_templates (dunning, usage tasks)
Versioning: draft, active, inactive               test_lifecycle::test_versions_restore_and_list
Execution Tracking
  Status success / failed / running               completed: most tests; failed: test_lifecycle
                                                  ::test_a_failure_without_on_error_fails_the_
                                                  execution; running: test_crash::test_a_killed_
                                                  worker_resumes_each_execution_and_mails_once;
                                                  waiting (in a delay): test_quick_start
  Trigger details, step log, error messages       test_actions::test_the_documents_retry_
                                                  configuration_on_the_automation (error);
                                                  test_templates (trigger.data)
  Execution API: curl .../executions with a       test_triggers::test_each_event_of_the_table_
    bearer key; the response (documents.            starts_its_automation_once (invoice.paid,
    EXECUTIONS_RESPONSE)                            3 steps, 5 seconds, as the document shows)
Error Handling
  Retry configuration JSON (documents.            test_actions::test_the_documents_retry_
    RETRY_CONFIGURATION): 3 retries, 5m, x2         configuration_on_the_automation (attempts at
                                                  0, 5, 15, 35 minutes); per step: test_
                                                  lifecycle::test_on_error_runs_after_the_retries
  Fallback actions YAML (documents.               test_actions::test_the_documents_fallback_
    FALLBACK_ACTIONS): send_email onError           actions (verbatim, and with a template for a
    create_task "Email failed to send"              customer without an email address)
Best Practices
  Test with draft versions and test data          test_lifecycle::test_dry_run_renders_and_
                                                  changes_nothing
  Monitor executions                              as Execution Tracking above
Use Cases
  Dunning Management, steps 1-6                   test_templates::test_payment_dunning_*
  Subscription Renewal: 30 days, 7 days, on       test_templates::test_renewal_reminder_*
    renewal
  Usage Alerts: alert the customer, above 120%    test_templates::test_usage_alert_emails_each_
    the account manager                             crossing_and_tasks_the_owner_above_120_
                                                  percent (Kassa measures usage as it arrives,
                                                  not once a day: each crossing alerts once per
                                                  period and threshold)

Guarantees of issue 13 beside the document: exactly once per (version, event):
test_lifecycle::test_the_same_event_delivered_twice_makes_one_execution; a SIGKILLed worker:
test_crash; the no-op-relative throughput: bench/automations.py (not a test).
"""
